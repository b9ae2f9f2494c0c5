/**
 * The HTTP front end (fastify): every input validated with zod (400 naming the field), bearer
 * tokens with roles, request size and rate limits, optional TLS. Routes only translate; the
 * service decides.
 */
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { z } from "zod";
import { isPvefixError } from "../../errors/pvefix-error.js";
import { AlertmanagerWebhook, alertsOf } from "../alerts/alertmanager.js";
import { effectiveStatus } from "../approvals/approval.js";
import { fieldPath, ServeError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ServeMetrics } from "../metrics.js";
import type { ServeService } from "../service.js";
import type { TokenStore } from "../store/types.js";
import { type PageOptions, registerPage } from "./page/routes.js";
import { hashToken, may, type Permission, type TokenRecord } from "./tokens.js";

export interface HttpOptions {
  service: ServeService;
  tokens: TokenStore;
  metrics: ServeMetrics;
  logger: Logger;
  now: () => number;
  /** Largest request body, bytes. @default 1 MiB */
  bodyLimit?: number;
  /** Requests per minute per token (or per address before authentication). @default 600 */
  rateLimit?: number;
  tls?: { cert: Buffer; key: Buffer };
  /** Behind a reverse proxy: take the client address from X-Forwarded-For. */
  trustProxy?: boolean;
  health?: () => Promise<Record<string, unknown>>;
  /** The approval page under /ui/ (docs/unattended.md "The approval page"); absent: no page. */
  page?: PageOptions;
}

const RunRequest = z.strictObject({
  runbook: z.string().min(1).max(128),
  params: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]))
    .default({}),
  cluster: z.string().min(1).max(128),
});

const DecisionBody = z
  .strictObject({
    confirm: z.string().max(1024).optional(),
    planHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  })
  .default({});

const ApprovalId = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{6,64}$/),
  verdict: z.enum(["approve", "deny"]),
});

const PauseBody = z
  .strictObject({
    cluster: z.string().min(1).max(128).optional(),
    reason: z.string().max(512).default("paused over HTTP"),
  })
  .default({ reason: "paused over HTTP" });

declare module "fastify" {
  interface FastifyRequest {
    who?: TokenRecord;
  }
}

/** A request that does not fit its schema: 400, naming the field. */
class HttpInputError extends ServeError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super("PVEFIX_BAD_INPUT", message);
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = `${where}${issue && issue.path.length > 0 ? `.${fieldPath(issue.path)}` : ""}`;
  throw new HttpInputError(field, `${field}: ${issue?.message ?? "invalid"}`);
}

export async function buildHttpServer(o: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: o.bodyLimit ?? 1024 * 1024,
    trustProxy: o.trustProxy ?? false,
    ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key } } : {}),
  }) as unknown as FastifyInstance;

  await app.register(rateLimit, {
    max: o.rateLimit ?? 600,
    timeWindow: 60_000,
    // Per token when there is one (hashed: the key is never the secret), per address otherwise.
    keyGenerator: (req) => {
      const token = bearer(req);
      return token ? `t:${hashToken(token).slice(0, 16)}` : `a:${req.ip}`;
    },
  });

  const authorize = (permission: Permission) => async (req: FastifyRequest, reply: FastifyReply) => {
    const token = bearer(req);
    const who = token ? await o.tokens.byHash(hashToken(token)) : null;
    if (!who) {
      reply.header("www-authenticate", 'Bearer realm="pvefix"');
      return reply.code(401).send({ error: "unauthorized", message: "a valid bearer token is required" });
    }
    req.who = who;
    if (!may(who.role, permission)) {
      return reply.code(403).send({ error: "forbidden", message: `role ${who.role} may not ${permission}` });
    }
  };

  app.addHook("onResponse", async (req, reply) => {
    // The route pattern, not the URL: no query string (and nothing a client put in it) reaches the log.
    o.logger.log("info", "http", {
      method: req.method,
      route: req.routeOptions.url ?? "(none)",
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      ...(req.who ? { who: req.who.name } : {}),
    });
  });

  app.setErrorHandler((error, _req, reply) => {
    if (error instanceof HttpInputError)
      return reply.code(400).send({ error: "bad-request", field: error.field, message: error.message });
    if (isPvefixError(error)) {
      const status =
        error.code === "PVEFIX_APPROVAL_NOT_FOUND"
          ? 404
          : error.code === "PVEFIX_SERVE_DATABASE"
            ? 503
            : error.exitCode === 3
              ? 409
              : error.exitCode === 2
                ? 400
                : 500;
      return reply
        .code(status)
        .send({ error: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) });
    }
    const e = error as { statusCode?: number; code?: string; message: string };
    if (e.statusCode && e.statusCode < 500) {
      return reply
        .code(e.statusCode)
        .send({ error: STATUS_NAMES[e.statusCode] ?? "bad-request", message: e.message });
    }
    o.logger.log("error", "request failed", { error: e.message });
    return reply.code(500).send({ error: "internal", message: "internal error (see the service log)" });
  });

  app.get("/healthz", async () => ({ status: "ok", ...(o.health ? await o.health() : {}) }));

  app.get("/metrics", { preHandler: authorize("read") }, async (_req, reply) => {
    reply.header("content-type", o.metrics.registry.contentType);
    return o.metrics.registry.metrics();
  });

  app.post("/v1/alerts", { preHandler: authorize("request") }, async (req, reply) => {
    const webhook = parse(AlertmanagerWebhook, req.body, "body");
    const results = await o.service.receiveAlerts(alertsOf(webhook), req.who!.name);
    return reply.code(202).send({ results });
  });

  app.post("/v1/runs", { preHandler: authorize("request") }, async (req, reply) => {
    const body = parse(RunRequest, req.body, "body");
    const result = await o.service.requestRun(body, req.who!.name);
    return reply.code(202).send(result);
  });

  app.get("/v1/approvals", { preHandler: authorize("read") }, async () => {
    const all = await o.service.listApprovals();
    return {
      approvals: all.map((a) => ({ ...a, status: effectiveStatus(a, o.now()), markdown: undefined })),
    };
  });

  app.get("/v1/approvals/:id", { preHandler: authorize("read") }, async (req) => {
    const { id } = parse(z.object({ id: z.string().regex(/^[a-z0-9-]{6,64}$/) }), req.params, "path");
    const a = await o.service.getApproval(id);
    return { ...a, status: effectiveStatus(a, o.now()) };
  });

  app.post("/v1/approvals/:id/:verdict", { preHandler: authorize("approve") }, async (req) => {
    const { id, verdict } = parse(ApprovalId, req.params, "path");
    const body = parse(DecisionBody, req.body ?? {}, "body");
    const a = await o.service.decideApproval(id, {
      by: req.who!.name,
      verdict,
      confirm: body.confirm,
      planHash: body.planHash,
    });
    return { id: a.id, status: a.status, decisions: a.decisions.length, required: a.required };
  });

  app.post("/v1/pause", { preHandler: authorize("admin") }, async (req) => {
    const body = parse(PauseBody, req.body ?? {}, "body");
    await o.service.pause(body.cluster ?? null, req.who!.name, body.reason);
    return { paused: body.cluster ?? "all" };
  });

  app.post("/v1/resume", { preHandler: authorize("admin") }, async (req) => {
    const body = parse(
      z.strictObject({ cluster: z.string().min(1).max(128).optional() }).default({}),
      req.body ?? {},
      "body",
    );
    await o.service.resume(body.cluster ?? null);
    return { resumed: body.cluster ?? "all" };
  });

  if (o.page) {
    await registerPage(app, {
      service: o.service,
      tokens: o.tokens,
      logger: o.logger,
      now: o.now,
      page: o.page,
    });
  }

  return app;
}

const STATUS_NAMES: Record<number, string> = {
  413: "payload-too-large",
  415: "unsupported-media-type",
  429: "rate-limited",
};

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== "string") return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? (m[1] as string) : null;
}
