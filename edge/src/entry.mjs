// The Worker's entry module: hands each request and cron trigger to the Rust handlers that
// wasm-bindgen generated.
import { WorkerEntrypoint } from "cloudflare:workers";
import * as waymark from "./index.js";

export default class extends WorkerEntrypoint {
  async fetch(request) {
    return waymark.fetch(request, this.env, this.ctx);
  }

  async scheduled(controller) {
    return waymark.scheduled(controller, this.env, this.ctx);
  }
}
