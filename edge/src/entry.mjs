// The Worker's entry module: hands each request to the Rust handler that wasm-bindgen generated.
import { WorkerEntrypoint } from "cloudflare:workers";
import * as waymark from "./index.js";

export default class extends WorkerEntrypoint {
  async fetch(request) {
    return waymark.fetch(request, this.env, this.ctx);
  }
}
