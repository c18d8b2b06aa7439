/**
 * The k6 script equivalent to a plan, for anyone re-running a trial with their
 * own k6: the same `ramping-arrival-rate` scenario, base options and failure
 * rules as the project's load generator. (k6 itself is AGPL-licensed and not
 * used by this project; the runner executes plans with loadgen/.)
 */
import { LoadPlan } from "./plan";

const ms = (s: number) => `${Math.round(s * 1000)}ms`;

export function renderK6Script(plan: LoadPlan): string {
    const options = {
        insecureSkipTLSVerify: plan.insecureSkipTLSVerify,
        noConnectionReuse: plan.noConnectionReuse,
        discardResponseBodies: plan.discardResponseBodies,
        maxRedirects: plan.maxRedirects,
        scenarios: {
            [plan.name]: {
                executor: "ramping-arrival-rate",
                startRate: plan.startRate,
                timeUnit: ms(plan.timeUnitS),
                preAllocatedVUs: plan.preAllocatedVUs,
                maxVUs: plan.maxVUs,
                stages: plan.stages.map((s) => ({ duration: ms(s.durationS), target: s.target })),
                gracefulStop: ms(plan.gracefulStopS),
            },
        },
        ...(plan.abortWhenVUsExceed === null ? {} : { thresholds: { vus: [{ threshold: `value<=${plan.abortWhenVUsExceed}`, abortOnFail: true }] } }),
    };
    return `// Generated from loadtest/profiles.yaml (${plan.name}); do not edit.
import http from "k6/http";
import { check } from "k6";

export const options = ${JSON.stringify(options, null, 2)};

// Only 2xx counts as success: a redirect (maxRedirects 0) means the client was
// sent to sign-in, and is a failed request like any other non-2xx answer.
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }));

const METHOD = ${JSON.stringify(plan.method)};
const URL = ${JSON.stringify(plan.url)};
const BODY = ${JSON.stringify(plan.body)};
// Extra headers (e.g. the OAuth2 Proxy cookie) as a JSON object, never in the script.
const HEADERS = Object.assign(BODY === null ? {} : { "Content-Type": "application/json" }, JSON.parse(__ENV.LOADGEN_HEADERS || "{}"));

export default function () {
  const res = http.request(METHOD, URL, BODY, { headers: HEADERS, redirects: ${plan.maxRedirects}, timeout: ${JSON.stringify(ms(plan.requestTimeoutS))} });
  check(res, { "status is 2xx": (r) => r.status >= 200 && r.status <= 299 });
}
`;
}
