/**
 * The approval page (`/ui/`): server-rendered HTML over the same service methods as the JSON API.
 * A bearer token logs in once and becomes a signed session cookie; every POST needs the session,
 * the form's CSRF token and a same-origin request; every page carries a CSP without scripts,
 * forbids framing and caching. Errors are pages, never a stack trace. The JSON API is not touched:
 * this is an encapsulated plugin with its own body parser, hooks and error handler.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { JournalEntry, RunSummary } from "../../../engine/journal.js";
import { isPvefixError } from "../../../errors/pvefix-error.js";
import { readJournal, scanRuns, summarizeRun } from "../../../index.js";
import { renderRunDetail } from "../../../views/journal.js";
import { effectiveStatus } from "../../approvals/approval.js";
import { ServeError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { ServeService } from "../../service.js";
import type { TokenStore } from "../../store/types.js";
import { hashToken, may, type Permission, type TokenRecord } from "../tokens.js";
import type { Html } from "./html.js";
import { cookieValue, SESSION_COOKIE, type Session, SessionKeeper, sessionCookie } from "./session.js";
import { PAGE_CSS } from "./style.js";
import {
  approvalPage,
  errorPage,
  indexPage,
  loginPage,
  type PausedEntry,
  runPage,
  type Viewer,
} from "./views.js";

/** Where the page reads runs from: the state directory's journals, or another journal store. */
export interface RunSource {
  /** Oldest first. */
  list(): Promise<RunSummary[]>;
  /** Throws PVEFIX_RUN_NOT_FOUND for a run that is not there. */
  entries(runId: string): Promise<JournalEntry[]>;
}

export function stateDirRuns(stateDir: string): RunSource {
  return {
    list: async () => scanRuns(stateDir).runs,
    entries: async (runId) => readJournal(stateDir, runId),
  };
}

export interface PageOptions {
  runs: RunSource;
  /** Paused clusters (and the global pause, cluster null), from the policy store. */
  paused: () => Promise<PausedEntry[]>;
  /** Signs sessions; workers behind one address share it. @default random, for this process */
  sessionKey?: Buffer | undefined;
  sessionTtlMs?: number | undefined;
  /** Login attempts a minute per client address. @default 10 */
  loginRateLimit?: number | undefined;
}

export interface PageDeps {
  service: ServeService;
  tokens: TokenStore;
  logger: Logger;
  now: () => number;
  page: PageOptions;
}

/** No script at all, styles only from the one stylesheet, forms only to this origin, no framing. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const FORM_LIMIT = 16 * 1024;
const ApprovalParams = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{6,64}$/),
  verdict: z.enum(["approve", "deny"]),
});
const DecisionForm = z.object({
  csrf: z.string().max(128),
  planHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  confirm: z.string().max(1024).optional(),
});
const ResumeForm = z.object({
  csrf: z.string().max(128),
  cluster: z.string().min(1).max(128).optional(),
});
const LoginForm = z.object({ token: z.string().max(512) });
const RunId = z.object({ runId: z.string().regex(/^[A-Za-z0-9._-]{1,160}$/) });
const DONE = z.enum(["approved", "pending", "denied", "resumed"]).optional();

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [where, ...(issue?.path ?? []).map(String)].join(".");
  throw new ServeError("PVEFIX_BAD_INPUT", `${field}: ${issue?.message ?? "invalid"}`);
}

/**
 * A POST is taken only from a page of this origin: Fetch Metadata when the browser sends it, then
 * Origin (or, without it, Referer) must be this server's own scheme and host.
 */
export function sameOrigin(req: FastifyRequest): boolean {
  const expected = `${req.protocol}://${req.host}`;
  const site = req.headers["sec-fetch-site"];
  if (typeof site === "string" && site !== "same-origin" && site !== "none") return false;
  const origin = req.headers.origin;
  if (typeof origin === "string") return origin === expected;
  const referer = req.headers.referer;
  if (typeof referer !== "string") return false;
  try {
    return new URL(referer).origin === expected;
  } catch {
    return false;
  }
}

interface Signed {
  session: Session;
  who: TokenRecord;
}

export async function registerPage(app: FastifyInstance, d: PageDeps): Promise<void> {
  const keeper = new SessionKeeper(d.page.sessionKey ?? randomBytes(32), d.page.sessionTtlMs);
  const ttlMinutes = Math.round(keeper.ttlMs / 60_000);
  const signedIn = new WeakMap<FastifyRequest, Signed>();

  // Only what starts with /ui is the page's: the API's own 404 and errors stay JSON.
  app.get("/", async (_req, reply) => reply.redirect("/ui/", 303));
  await app.register(
    async (ui) => {
      ui.addContentTypeParser(
        "application/x-www-form-urlencoded",
        { parseAs: "string", bodyLimit: FORM_LIMIT },
        (_req, body, done) => {
          const form: Record<string, string> = {};
          // The first value of a repeated field counts; a second cannot smuggle anything past the checks.
          for (const [k, v] of new URLSearchParams(body as string)) if (!(k in form)) form[k] = v;
          done(null, form);
        },
      );

      ui.addHook("onRequest", async (_req, reply) => {
        reply.header("content-security-policy", PAGE_CSP);
        reply.header("x-frame-options", "DENY");
        reply.header("x-content-type-options", "nosniff");
        reply.header("referrer-policy", "same-origin");
        reply.header("cross-origin-opener-policy", "same-origin");
        // Plans, tokens' names and CSRF tokens: nothing of a page belongs in a cache.
        reply.header("cache-control", "no-store");
      });

      const viewerOf = (req: FastifyRequest): Viewer | undefined => {
        const s = signedIn.get(req);
        return s ? { name: s.who.name, role: s.who.role, csrf: keeper.csrfToken(s.session) } : undefined;
      };
      const send = (reply: FastifyReply, status: number, page: Html) =>
        reply.code(status).type("text/html; charset=utf-8").send(page.value);

      ui.setErrorHandler((error, req, reply) => {
        const viewer = viewerOf(req);
        if (isPvefixError(error)) {
          const status =
            error.code === "PVEFIX_APPROVAL_NOT_FOUND" || error.code === "PVEFIX_RUN_NOT_FOUND"
              ? 404
              : error.code === "PVEFIX_SERVE_DATABASE"
                ? 503
                : error.exitCode === 3
                  ? 409
                  : error.exitCode === 2
                    ? 400
                    : 500;
          const text = error.hint ? `${error.message}\n${error.hint}` : error.message;
          return send(
            reply,
            status,
            errorPage(
              status,
              status === 404 ? "Not found" : status >= 500 ? "Error" : "Refused",
              text,
              viewer,
            ),
          );
        }
        const e = error as { statusCode?: number; message: string };
        if (e.statusCode && e.statusCode < 500) {
          const message =
            e.statusCode === 429
              ? "Too many attempts from this address: wait a minute and try again."
              : e.message;
          return send(reply, e.statusCode, errorPage(e.statusCode, "Refused", message, viewer));
        }
        d.logger.log("error", "page request failed", { error: e.message });
        return send(reply, 500, errorPage(500, "Error", "Internal error (see the service log).", viewer));
      });

      ui.setNotFoundHandler((req, reply) =>
        send(
          reply,
          404,
          errorPage(404, "Not found", `There is no page ${req.url.split("?")[0]}`, viewerOf(req)),
        ),
      );

      const session = async (req: FastifyRequest): Promise<Signed | null> => {
        const s = keeper.read(cookieValue(req.headers.cookie, SESSION_COOKIE), d.now());
        if (!s) return null;
        const who = (await d.tokens.list()).find((t) => t.name === s.name);
        // A token removed, or removed and added again, ends the sessions it opened.
        if (!who || keeper.bindOf(who.hash) !== s.bind) return null;
        return { session: s, who };
      };

      const guard =
        (permission: Permission) =>
        async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
          const s = await session(req);
          if (!s) {
            if (req.method === "GET" || req.method === "HEAD") return reply.redirect("/ui/login", 303);
            return send(
              reply,
              401,
              errorPage(401, "Signed out", "Your session has ended or is not valid here: log in again."),
            );
          }
          signedIn.set(req, s);
          req.who = s.who;
          if (req.method === "POST") {
            if (!sameOrigin(req))
              return send(
                reply,
                403,
                errorPage(403, "Refused", "This form was not sent from this page.", viewerOf(req)),
              );
            if (!keeper.checkCsrf(s.session, (req.body as { csrf?: unknown } | undefined)?.csrf))
              return send(
                reply,
                403,
                errorPage(
                  403,
                  "Refused",
                  "The form's CSRF token is missing or not this session's: reload the page and try again.",
                  viewerOf(req),
                ),
              );
          }
          if (!may(s.who.role, permission))
            return send(
              reply,
              403,
              errorPage(403, "Refused", `Role ${s.who.role} may not ${permission}.`, viewerOf(req)),
            );
          return undefined;
        };

      ui.get("/style.css", async (_req, reply) => {
        reply.header("cache-control", "max-age=300");
        return reply.type("text/css; charset=utf-8").send(PAGE_CSS);
      });

      ui.get("/login", async (req, reply) => {
        if (await session(req)) return reply.redirect("/ui/", 303);
        return send(reply, 200, loginPage(undefined, ttlMinutes));
      });

      ui.post(
        "/login",
        {
          config: {
            rateLimit: {
              max: d.page.loginRateLimit ?? 10,
              timeWindow: 60_000,
              keyGenerator: (req: FastifyRequest) => `login:${req.ip}`,
            },
          },
        },
        async (req, reply) => {
          if (!sameOrigin(req))
            return send(reply, 403, errorPage(403, "Refused", "This form was not sent from this page."));
          const { token } = parse(LoginForm, req.body, "body");
          const who = token.trim() ? await d.tokens.byHash(hashToken(token.trim())) : null;
          if (!who) {
            d.logger.log("warn", "page login refused", {});
            return send(reply, 401, loginPage("That is not a valid token.", ttlMinutes));
          }
          const { cookie } = keeper.issue(who.name, who.hash, d.now());
          req.who = who;
          d.logger.log("info", "page login", { who: who.name, role: who.role });
          reply.header("set-cookie", sessionCookie(cookie, keeper.ttlMs, req.protocol === "https"));
          return reply.redirect("/ui/", 303);
        },
      );

      ui.post("/logout", { preHandler: guard("read") }, async (req, reply) => {
        const s = signedIn.get(req) as Signed;
        keeper.revoke(s.session, d.now());
        reply.header("set-cookie", sessionCookie("", 0, req.protocol === "https"));
        return reply.redirect("/ui/login", 303);
      });

      ui.get("/", { preHandler: guard("read") }, async (req, reply) => {
        const viewer = viewerOf(req) as Viewer;
        const now = d.now();
        const [all, paused, runs] = await Promise.all([
          d.service.listApprovals(),
          d.page.paused(),
          d.page.runs.list(),
        ]);
        const done = DONE.safeParse((req.query as { done?: unknown }).done).data;
        return send(
          reply,
          200,
          indexPage({
            viewer,
            now,
            paused,
            canResume: may(viewer.role, "admin"),
            approvals: all
              .map((approval) => ({ approval, status: effectiveStatus(approval, now) }))
              .sort((a, b) => b.approval.createdAt - a.approval.createdAt),
            runs,
            notice: done === "resumed" ? "Resumed: new remediations may start again." : undefined,
          }),
        );
      });

      ui.get("/approvals/:id", { preHandler: guard("read") }, async (req, reply) => {
        const { id } = parse(ApprovalParams.pick({ id: true }), req.params, "path");
        const viewer = viewerOf(req) as Viewer;
        const approval = await d.service.getApproval(id);
        const done = DONE.safeParse((req.query as { done?: unknown }).done).data;
        const left = approval.required - approval.decisions.filter((x) => x.verdict === "approve").length;
        const notice =
          done === "approved"
            ? "Approved: pvefix serve applies this plan now, checking first that it is not stale."
            : done === "pending"
              ? `Your approval is counted; ${left} more needed.`
              : done === "denied"
                ? "Denied: nothing will run."
                : undefined;
        return send(
          reply,
          200,
          approvalPage({
            viewer,
            approval,
            status: effectiveStatus(approval, d.now()),
            canDecide: may(viewer.role, "approve"),
            notice,
          }),
        );
      });

      ui.post("/approvals/:id/:verdict", { preHandler: guard("approve") }, async (req, reply) => {
        const { id, verdict } = parse(ApprovalParams, req.params, "path");
        const form = parse(DecisionForm, req.body, "body");
        const viewer = viewerOf(req) as Viewer;
        try {
          const a = await d.service.decideApproval(id, {
            by: viewer.name,
            verdict,
            confirm: form.confirm?.trim() ? form.confirm : undefined,
            planHash: form.planHash,
          });
          return reply.redirect(`/ui/approvals/${a.id}?done=${a.status}`, 303);
        } catch (error) {
          if (!isPvefixError(error, "PVEFIX_APPROVAL_REFUSED")) throw error;
          const approval = await d.service.getApproval(id);
          return send(
            reply,
            409,
            approvalPage({
              viewer,
              approval,
              status: effectiveStatus(approval, d.now()),
              canDecide: true,
              error: error.hint ? `${error.message}\n${error.hint}` : error.message,
              typed: form.confirm,
            }),
          );
        }
      });

      ui.post("/resume", { preHandler: guard("admin") }, async (req, reply) => {
        const form = parse(ResumeForm, req.body, "body");
        await d.service.resume(form.cluster ?? null);
        d.logger.log("info", "resumed from the page", { who: req.who?.name, cluster: form.cluster ?? "all" });
        return reply.redirect("/ui/?done=resumed", 303);
      });

      ui.get("/runs/:runId", { preHandler: guard("read") }, async (req, reply) => {
        const { runId } = parse(RunId, req.params, "path");
        const entries = await d.page.runs.entries(runId);
        const summary = summarizeRun(entries);
        const ended = entries.some((e) => e.type === "run-end");
        const unfinished =
          !ended && (summary.outcome === "running" || summary.outcome === "interrupted")
            ? summary.outcome
            : undefined;
        const timeline = renderRunDetail(entries, "text", { color: false, unfinished });
        return send(reply, 200, runPage(viewerOf(req) as Viewer, summary, timeline));
      });
    },
    { prefix: "/ui" },
  );
}
