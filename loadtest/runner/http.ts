/**
 * A small JSON-over-HTTP(S) client for the runner (flowsheet API, Kubernetes
 * API), on Node's own http/https so TLS options (self-signed certificates,
 * client certificates) are explicit. Every call has a timeout.
 */
import * as http from "http";
import * as https from "https";

export interface RequestOptions {
    method?: string;
    headers?: Readonly<Record<string, string>>;
    body?: unknown;
    timeoutMs?: number;
    /** TLS: CA bundle, client certificate and key, or skip verification. */
    tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; insecure?: boolean };
}

export interface JsonResponse {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: unknown;
    text: string;
}

export class HttpError extends Error {
    constructor(
        message: string,
        readonly status?: number,
    ) {
        super(message);
        this.name = "HttpError";
    }
}

export function requestJson(url: string, opts: RequestOptions = {}): Promise<JsonResponse> {
    const u = new URL(url);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
    if (payload) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(payload.length);
    }
    const isHttps = u.protocol === "https:";
    const mod = isHttps ? https : http;
    const tlsOptions = isHttps
        ? { ca: opts.tls?.ca, cert: opts.tls?.cert, key: opts.tls?.key, rejectUnauthorized: !opts.tls?.insecure }
        : {};
    return new Promise((resolve, reject) => {
        const req = mod.request(u, { method: opts.method ?? "GET", headers, timeout: opts.timeoutMs ?? 10_000, ...tlsOptions }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                let body: unknown = undefined;
                if (text.length > 0) {
                    try {
                        body = JSON.parse(text);
                    } catch {
                        body = undefined;
                    }
                }
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
            });
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new HttpError(`${opts.method ?? "GET"} ${u.origin}${u.pathname}: no answer within ${opts.timeoutMs ?? 10_000} ms`)));
        req.on("error", (e) => reject(e instanceof HttpError ? e : new HttpError(`${opts.method ?? "GET"} ${u.origin}${u.pathname}: ${e.message}`)));
        if (payload) req.write(payload);
        req.end();
    });
}

/** Like requestJson, but a non-2xx answer (a redirect included) is an error naming the call. */
export async function requestOk(url: string, opts: RequestOptions = {}): Promise<JsonResponse> {
    const res = await requestJson(url, opts);
    if (res.status < 200 || res.status > 299) {
        const u = new URL(url);
        const where = res.status >= 300 && res.status < 400 ? ` (redirected to ${res.headers.location ?? "?"}: not signed in?)` : "";
        throw new HttpError(`${opts.method ?? "GET"} ${u.pathname}: expected a 2xx answer, got ${res.status}${where}`, res.status);
    }
    return res;
}
