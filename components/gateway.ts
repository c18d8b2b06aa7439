import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { PlatformSettings } from "../config/schema";
import { componentType, formerPlatformType, withFormerTypes } from "../lib/typeTokens";

export const TRAEFIK_API_VERSION = "traefik.io/v1alpha1";

/** Middleware names, as the thesis named them. */
export const MIDDLEWARES = ["oauth-forwarder", "oauth-signin", "django-cors"] as const;
export type MiddlewareName = (typeof MIDDLEWARES)[number];

/**
 * Middleware chains per host (FACTS.md): the front-end is sent to sign-in, the
 * API answers 401 instead of redirecting (its clients cannot follow a sign-in
 * page), and the auth host itself is open so that anyone can start signing in.
 * Traefik applies a route's middlewares outermost first, so on the front-end the
 * errors middleware (`oauth-signin`) comes before forwardAuth (`oauth-forwarder`):
 * it wraps forwardAuth and turns its 401 into the sign-in redirect. The other way
 * round the 401 would reach the browser untouched.
 */
export const CHAINS: Readonly<Record<"frontend" | "api" | "auth", readonly MiddlewareName[]>> = {
    frontend: ["oauth-signin", "oauth-forwarder"],
    api: ["django-cors", "oauth-forwarder"],
    auth: [],
};

/** Traefik's reference to a Middleware CRD in a namespace. */
export function middlewareRef(namespace: string, name: MiddlewareName): string {
    return `${namespace}-${name}@kubernetescrd`;
}

/** The router.middlewares annotation value for a chain, in order. */
export function chainAnnotation(namespace: string, chain: readonly MiddlewareName[]): string {
    return chain.map((m) => middlewareRef(namespace, m)).join(",");
}

export interface Backend {
    readonly service: pulumi.Input<string>;
    readonly port: number;
}

export interface GatewayArgs {
    readonly namespace: string;
    readonly domains: PlatformSettings["domains"];
    /** Origins the API accepts browser calls from. @default the front-end's https origin */
    readonly corsOrigins?: readonly string[];
    readonly frontend: Backend;
    readonly api: Backend;
    readonly auth: Backend;
}

/** Middleware specs, keyed by name. */
export function middlewareSpecs(args: Pick<GatewayArgs, "namespace" | "domains" | "corsOrigins" | "auth">, authService: string): Record<MiddlewareName, object> {
    return {
        "oauth-forwarder": {
            forwardAuth: {
                address: `http://${authService}.${args.namespace}.svc.cluster.local:${args.auth.port}/oauth2/auth`,
                trustForwardHeader: true,
                authResponseHeaders: ["X-Auth-Request-User", "X-Auth-Request-Email", "Authorization", "Set-Cookie"],
            },
        },
        "oauth-signin": {
            errors: {
                status: ["401-403"],
                service: { name: authService, port: args.auth.port },
                query: "/oauth2/sign_in?rd={url}",
                // Traefik answers with the caught status and the error page's headers. OAuth2
                // Proxy's sign-in answers with a redirect to the provider (it skips its button
                // page), so the Location is there, but under a 401 a browser shows the body
                // instead of following it: seen with the real programs in the gateway e2e
                // suite. Rewritten to 302, the browser goes to sign-in. (statusRewrites is a
                // field of recent Traefik v3, v3.6.12 has it; an older CRD would prune it.)
                statusRewrites: { "401": 302 },
            },
        },
        "django-cors": {
            headers: {
                accessControlAllowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                accessControlAllowHeaders: ["Authorization", "Content-Type", "X-CSRFToken", "X-Requested-With"],
                accessControlAllowOriginList: [...(args.corsOrigins ?? [`https://${args.domains.frontend}`])],
                accessControlAllowCredentials: true,
                accessControlMaxAge: 600,
                addVaryHeader: true,
            },
        },
    };
}

export const GATEWAY_TYPE = componentType("components", "Gateway");

/** Traefik Middlewares and the three Ingresses with their chains. */
export class Gateway extends pulumi.ComponentResource {
    public readonly hosts: readonly string[];

    constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super(GATEWAY_TYPE, name, {}, withFormerTypes(opts, [formerPlatformType("Gateway")]));
        const ns = args.namespace;
        const specs = pulumi.output(args.auth.service).apply((svc) => middlewareSpecs(args, svc));
        const middlewares = MIDDLEWARES.map(
            (m) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-${m}`,
                    { apiVersion: TRAEFIK_API_VERSION, kind: "Middleware", metadata: { name: m, namespace: ns }, spec: specs.apply((s) => s[m]) },
                    { parent: this },
                ),
        );
        const hosts = { frontend: args.domains.frontend, api: args.domains.api, auth: args.domains.auth };
        for (const site of ["frontend", "api", "auth"] as const) {
            const chain = CHAINS[site];
            const backend = args[site];
            new k8s.networking.v1.Ingress(
                `${name}-${site}`,
                {
                    metadata: {
                        name: `${site}-ingress`,
                        namespace: ns,
                        annotations: {
                            "traefik.ingress.kubernetes.io/router.entrypoints": "web,websecure",
                            ...(chain.length > 0 ? { "traefik.ingress.kubernetes.io/router.middlewares": chainAnnotation(ns, chain) } : {}),
                        },
                    },
                    spec: {
                        ingressClassName: "traefik",
                        // No secret: Traefik's self-signed default certificate; Cloudflare presents the public one.
                        tls: [{ hosts: [hosts[site]] }],
                        rules: [
                            {
                                host: hosts[site],
                                http: {
                                    paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: backend.service, port: { number: backend.port } } } }],
                                },
                            },
                        ],
                    },
                },
                { parent: this, dependsOn: middlewares },
            );
        }
        this.hosts = Object.values(hosts);
        this.registerOutputs({ hosts: this.hosts });
    }
}
