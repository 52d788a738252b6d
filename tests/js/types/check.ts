// A typed use of the SDK's declarations (www/src/sdk.d.ts, types.d.ts), checked with
// `tsc --strict -p tests/js/types` by the test command: what a site's TypeScript would write
// compiles, and the mistakes marked `@ts-expect-error` do not.
import { createWaymark } from "../../../www/src/sdk.js";
import type { Bundle, Content, Decision, Outcome, Proposition } from "../../../www/src/sdk.js";

const waymark = createWaymark();

waymark.on("decision", (decision: Decision) => {
  const ids: string[] = decision.propositions.map((p) => p.activityId);
  const outcomes: Outcome[] = decision.reasons.map((r) => r.outcome);
  for (const placement of decision.offers) {
    for (const item of placement.items) {
      const score: number = item.score;
      const format: string = item.format;
      void score, format;
    }
  }
  const assigned: Record<string, string> | undefined = decision.stateChanges.assignments;
  void ids, outcomes, assigned;
});

export async function renderBanner(render: (content: unknown) => void): Promise<void> {
  const [banner]: Proposition[] = await waymark.propositions({ surface: "#banner" });
  if (!banner) return;
  if ("activityId" in banner && banner.content?.channel === "code") render(banner.content.content);
  waymark.displayed(banner);
}

export const bundle: Bundle = {
  format: 1,
  id: "typed",
  activities: [
    {
      id: "hero",
      surfaces: ["web://shop.example/#hero"],
      priority: 50,
      content: { channel: "web", actions: [{ selector: "#hero h1", type: "setText", content: "Hi {{profile.firstName}}" }] },
    },
  ],
};

// @ts-expect-error: outcomes are a closed set
export const won: Outcome = "won";

// @ts-expect-error: there is no email channel
export const email: Content = { channel: "email", subject: "Hi" };

// @ts-expect-error: a web action needs a selector
export const noSelector: Content = { channel: "web", actions: [{ type: "remove" }] };

// @ts-expect-error: the decision is typed, not any
export const notAny: number = waymark.decision?.decisionId;
