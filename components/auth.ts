import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { AuthSettings, PlatformSettings } from "../config/schema";
import { onlyOnNodes } from "./placement";
import { ScalableWorkload } from "./workload";
import { componentType, formerPlatformType, withFormerTypes } from "../lib/typeTokens";

export const OAUTH2_PROXY_PORT = 4180;

export interface AuthArgs {
    readonly namespace: pulumi.Input<string>;
    readonly settings: AuthSettings;
    readonly domains: PlatformSettings["domains"];
    readonly image: string;
    readonly clientSecret: pulumi.Input<string>;
    readonly priorityClass: pulumi.Input<string>;
    /** K3s nodes that reach the internet: OAuth2 Proxy talks to the identity provider. */
    readonly internetNodes: readonly string[];
}

/** The parent domain the session cookie is valid for: `.ahuora.org.nz` for all three hosts. */
export function cookieDomain(domains: PlatformSettings["domains"]): string {
    const all = [domains.frontend, domains.api, domains.auth].map((d) => d.split(".").reverse());
    const common: string[] = [];
    for (let i = 0; ; i++) {
        const label = all[0][i];
        if (label === undefined || !all.every((d) => d[i] === label)) break;
        common.push(label);
    }
    if (common.length < 2) {
        throw new Error(`platform.domains: expected hosts under one parent domain, got ${Object.values(domains).join(", ")}`);
    }
    return `.${common.reverse().join(".")}`;
}

/**
 * OAuth2 Proxy's provider settings for `auth.provider`. Each is one of its flags
 * as an environment variable (`--provider` is `OAUTH2_PROXY_PROVIDER`,
 * `--oidc-issuer-url` is `OAUTH2_PROXY_OIDC_ISSUER_URL`): the Deployment takes all
 * of its non-secret settings from one ConfigMap, and no command line.
 *   google: --provider=google (Google's endpoints are built in)
 *   oidc:   --provider=oidc --oidc-issuer-url=<issuerUrl> (endpoints and keys from
 *           the issuer's discovery document)
 */
export function providerEnv(settings: AuthSettings): Record<string, string> {
    switch (settings.provider) {
        case "google":
            return { OAUTH2_PROXY_PROVIDER: "google" };
        case "oidc":
            return { OAUTH2_PROXY_PROVIDER: "oidc", OAUTH2_PROXY_OIDC_ISSUER_URL: settings.issuerUrl };
        default: {
            const never: never = settings;
            throw new Error(`unhandled auth.provider ${JSON.stringify(never)}`);
        }
    }
}

/** OAuth2 Proxy settings (no secrets). */
export function oauth2ProxyEnv(settings: AuthSettings, domains: PlatformSettings["domains"]): Record<string, string> {
    const cookie = cookieDomain(domains);
    return {
        ...providerEnv(settings),
        OAUTH2_PROXY_CLIENT_ID: settings.clientId,
        OAUTH2_PROXY_HTTP_ADDRESS: `0.0.0.0:${OAUTH2_PROXY_PORT}`,
        OAUTH2_PROXY_REDIRECT_URL: `https://${domains.auth}/oauth2/callback`,
        OAUTH2_PROXY_AUTHENTICATED_EMAILS_FILE: "/etc/oauth2-proxy/emails/allowed-emails.txt",
        OAUTH2_PROXY_COOKIE_DOMAINS: cookie,
        OAUTH2_PROXY_WHITELIST_DOMAINS: cookie,
        OAUTH2_PROXY_COOKIE_SECURE: "true",
        OAUTH2_PROXY_REVERSE_PROXY: "true",
        OAUTH2_PROXY_SET_XAUTHREQUEST: "true",
        // Only forward-auth answers are needed; there is no upstream to proxy to.
        OAUTH2_PROXY_UPSTREAMS: "static://202",
        OAUTH2_PROXY_SKIP_PROVIDER_BUTTON: "true",
    };
}

export const AUTH_TYPE = componentType("components", "Auth");

/** OAuth2 Proxy with Google or any OpenID Connect provider, and an email allow-list. */
export class Auth extends pulumi.ComponentResource {
    /** In-cluster URL of OAuth2 Proxy. */
    public readonly url: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;
    public readonly port = OAUTH2_PROXY_PORT;

    constructor(name: string, args: AuthArgs, opts?: pulumi.ComponentResourceOptions) {
        super(AUTH_TYPE, name, {}, withFormerTypes(opts, [formerPlatformType("Auth")]));
        // 32 bytes: OAuth2 Proxy accepts 16, 24 or 32-byte cookie secrets (AES).
        const cookieSecret = new random.RandomPassword(`${name}-cookie-secret`, { length: 32, special: false }, { parent: this });
        const emails = new k8s.core.v1.ConfigMap(
            `${name}-emails`,
            {
                metadata: { name: "oauth2-proxy-emails", namespace: args.namespace },
                // Email addresses are not secret; the credentials below are.
                data: { "allowed-emails.txt": `${args.settings.allowedEmails.join("\n")}\n` },
            },
            { parent: this },
        );
        const proxy = new ScalableWorkload(
            `${name}-oauth2-proxy`,
            {
                appName: "oauth2-proxy",
                namespace: args.namespace,
                image: args.image,
                port: OAUTH2_PROXY_PORT,
                env: oauth2ProxyEnv(args.settings, args.domains),
                secretEnv: {
                    OAUTH2_PROXY_CLIENT_SECRET: args.clientSecret,
                    OAUTH2_PROXY_COOKIE_SECRET: cookieSecret.result,
                },
                scaling: { mode: "fixed", replicas: 1, resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } } },
                probe: { httpPath: "/ping" },
                priorityClassName: args.priorityClass,
                affinity: onlyOnNodes(args.internetNodes),
                volumes: [{ name: "emails", configMap: { name: emails.metadata.name } }],
                volumeMounts: [{ name: "emails", mountPath: "/etc/oauth2-proxy/emails", readOnly: true }],
            },
            { parent: this },
        );
        this.url = proxy.url;
        this.serviceName = proxy.service!.metadata.name;
        this.registerOutputs({ url: this.url });
    }
}
