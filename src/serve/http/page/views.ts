/**
 * The approval page's documents. Pure: data in, `Html` out; every value goes through `html`,
 * which escapes it. The plan is the approval's Markdown (`plan -o md`), the runs are the cells
 * of `pvefix runs` and the timeline is the text of `pvefix show`.
 */
import type { RunSummary } from "../../../engine/journal.js";
import { paramFlags } from "../../../views/command-line.js";
import { RUN_LIST_HEADERS, runRow } from "../../../views/journal.js";
import type { Approval, ApprovalStatus } from "../../approvals/approval.js";
import type { Pause } from "../../policy/state.js";
import type { Role } from "../tokens.js";
import { type Html, type HtmlValue, html } from "./html.js";
import { markdownHtml } from "./markdown.js";

export interface Viewer {
  name: string;
  role: Role;
  csrf: string;
}

export interface PausedEntry {
  /** null: every cluster. */
  cluster: string | null;
  pause: Pause;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

function csrfField(v: Viewer): Html {
  return html`<input type="hidden" name="csrf" value="${v.csrf}">`;
}

export function layout(title: string, body: HtmlValue, viewer?: Viewer): Html {
  const who = viewer
    ? html`<span class="who">signed in as <b>${viewer.name}</b> (${viewer.role})</span>
<form method="post" action="/ui/logout">${csrfField(viewer)}<button type="submit">Log out</button></form>`
    : "";
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · pvefix</title>
<link rel="stylesheet" href="/ui/style.css">
</head>
<body>
<header><a class="home" href="/ui/">pvefix approvals</a>${who}</header>
<main>
${body}
</main>
</body>
</html>
`;
}

export function loginPage(error: string | undefined, ttlMinutes: number): Html {
  return layout(
    "Log in",
    html`<h1>Log in</h1>
<p>Paste your pvefix serve token (<code>pvefix serve token add NAME --role approver</code> prints it once).
The page keeps a session cookie for ${ttlMinutes} minutes; the token itself is not stored in the browser.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
<form method="post" action="/ui/login">
<label for="token">Token</label>
<input type="password" id="token" name="token" autocomplete="off" required>
<button type="submit">Log in</button>
</form>`,
  );
}

export function errorPage(status: number, title: string, message: string, viewer?: Viewer): Html {
  return layout(
    title,
    html`<h1>${title}</h1>
<p class="error" role="alert">${message}</p>
<p><a href="/ui/">Back to the approvals</a> · HTTP ${status}</p>`,
    viewer,
  );
}

function statusBadge(status: ApprovalStatus): Html {
  return html`<span class="status-${status}">${status}</span>`;
}

/** Parameters as the CLI's flags, as `pvefix runs` and the plan show them. */
function paramsText(params: Record<string, unknown>): string {
  return paramFlags(params).join(" ");
}

function votes(a: Approval): string {
  return `${a.decisions.filter((d) => d.verdict === "approve").length} of ${a.required}`;
}

export interface IndexData {
  viewer: Viewer;
  now: number;
  paused: PausedEntry[];
  canResume: boolean;
  approvals: Array<{ approval: Approval; status: ApprovalStatus }>;
  runs: RunSummary[];
  notice?: string | undefined;
}

export function indexPage(d: IndexData): Html {
  const pending = d.approvals.filter((a) => a.status === "pending");
  const decided = d.approvals.filter((a) => a.status !== "pending").slice(0, 10);
  const pausedSection =
    d.paused.length === 0
      ? html`<p class="muted">No cluster is paused.</p>`
      : html`<table id="paused"><thead><tr><th>Cluster</th><th>Paused by</th><th>Reason</th><th>Since</th><th></th></tr></thead><tbody>
${d.paused.map(
  (p) =>
    html`<tr><td>${p.cluster ?? "every cluster"}</td><td>${p.pause.by}</td><td>${p.pause.reason}</td><td>${iso(p.pause.at)}</td><td>${
      d.canResume
        ? html`<form method="post" action="/ui/resume">${csrfField(d.viewer)}${
            p.cluster === null ? "" : html`<input type="hidden" name="cluster" value="${p.cluster}">`
          }<button type="submit">${p.cluster === null ? "Resume everything" : `Resume ${p.cluster}`}</button></form>`
        : html`<span class="muted">an admin resumes</span>`
    }</td></tr>`,
)}
</tbody></table>`;
  const approvalRow = ({ approval: a, status }: { approval: Approval; status: ApprovalStatus }) =>
    html`<tr><td><a href="/ui/approvals/${a.id}">${a.id}</a></td><td>${statusBadge(status)}</td><td>${a.runbook}</td><td>${a.cluster}</td><td>${paramsText(a.params)}</td><td>${a.requestedBy}</td><td>${a.reason}</td><td>${votes(a)}</td><td>${
      status === "pending"
        ? iso(a.expiresAt)
        : a.runId
          ? html`<a href="/ui/runs/${a.runId}">${a.outcome ?? a.runId}</a>`
          : (a.outcome ?? "")
    }</td></tr>`;
  const approvalTable = (rows: typeof d.approvals, last: string) =>
    html`<table><thead><tr><th>Id</th><th>Status</th><th>Runbook</th><th>Cluster</th><th>Params</th><th>Requested by</th><th>Why</th><th>Approvals</th><th>${last}</th></tr></thead><tbody>
${rows.map(approvalRow)}
</tbody></table>`;
  const runs = [...d.runs].reverse().slice(0, 20);
  const runTable =
    runs.length === 0
      ? html`<p class="muted">No runs yet.</p>`
      : html`<table id="runs"><thead><tr>${RUN_LIST_HEADERS.map((h) => html`<th>${h[0]}${h.slice(1).toLowerCase()}</th>`)}</tr></thead><tbody>
${runs.map((r) => {
  const [id, ...rest] = runRow(r);
  return html`<tr data-run="${r.runId}"><td><a href="/ui/runs/${r.runId}">${id}</a></td>${rest.map((c) => html`<td>${c}</td>`)}</tr>`;
})}
</tbody></table>`;
  return layout(
    "Approvals",
    html`${d.notice ? html`<p class="notice" role="status">${d.notice}</p>` : ""}
<h1>Waiting for approval</h1>
${pending.length === 0 ? html`<p class="muted">Nothing waits for an approval.</p>` : approvalTable(pending, "Expires")}
<h2>Paused clusters</h2>
${pausedSection}
<h2>Recent runs</h2>
${runTable}
${decided.length === 0 ? "" : html`<h2>Decided approvals</h2>${approvalTable(decided, "Outcome")}`}
<p><a href="/ui/">Refresh</a> · <span class="muted">as of ${iso(d.now)}</span></p>`,
    d.viewer,
  );
}

export interface ApprovalData {
  viewer: Viewer;
  approval: Approval;
  status: ApprovalStatus;
  canDecide: boolean;
  notice?: string | undefined;
  error?: string | undefined;
  /** What was typed into the confirmation, shown again after a refusal. */
  typed?: string | undefined;
}

export function approvalPage(d: ApprovalData): Html {
  const a = d.approval;
  const dangerous = a.dangerousNodes.join(",");
  const facts: Array<[string, HtmlValue]> = [
    ["Status", statusBadge(d.status)],
    ["Runbook", a.runbook],
    ["Cluster", a.cluster],
    ["Params", paramsText(a.params) || "(none)"],
    ["Requested by", a.requestedBy],
    ["Why", a.reason],
    ["Requested", iso(a.createdAt)],
    ["Expires", iso(a.expiresAt)],
    ["Approvals", votes(a)],
    ["Plan sha256", html`<code>${a.planHash}</code>`],
    ...(a.decisions.length > 0
      ? [
          ["Decisions", a.decisions.map((x) => html`${x.verdict} by ${x.by} at ${iso(x.at)}<br>`)] as [
            string,
            HtmlValue,
          ],
        ]
      : []),
    ...(a.runId || a.outcome
      ? [
          [
            "Outcome",
            a.runId ? html`<a href="/ui/runs/${a.runId}">${a.outcome ?? a.runId}</a>` : (a.outcome ?? ""),
          ] as [string, HtmlValue],
        ]
      : []),
  ];
  const forms =
    d.status !== "pending"
      ? ""
      : d.canDecide
        ? html`<h2>Decide</h2>
<form class="decide" id="approve" method="post" action="/ui/approvals/${a.id}/approve">
${csrfField(d.viewer)}<input type="hidden" name="planHash" value="${a.planHash}">
${
  a.dangerousNodes.length > 0
    ? html`<label for="confirm">The plan has dangerous steps on <b>${dangerous}</b>: type <code>${dangerous}</code> to approve them</label>
<input type="text" id="confirm" name="confirm" autocomplete="off" required value="${d.typed ?? ""}">`
    : ""
}
<button type="submit">Approve this plan</button>
</form>
<form class="decide" id="deny" method="post" action="/ui/approvals/${a.id}/deny">
${csrfField(d.viewer)}<input type="hidden" name="planHash" value="${a.planHash}">
<button type="submit">Deny</button>
</form>`
        : html`<p class="muted">You are signed in as ${d.viewer.name} (${d.viewer.role}): you can read this plan, only an approver can decide.</p>`;
  return layout(
    `Approval ${a.id}`,
    html`${d.notice ? html`<p class="notice" role="status">${d.notice}</p>` : ""}
${d.error ? html`<p class="error" role="alert">${d.error}</p>` : ""}
<h1>Approval ${a.id}: ${a.runbook} on ${a.cluster}</h1>
<table class="facts"><tbody>${facts.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>
${forms}
<section class="plan">${markdownHtml(a.markdown)}</section>`,
    d.viewer,
  );
}

export function runPage(viewer: Viewer, run: RunSummary, timeline: string): Html {
  return layout(
    `Run ${run.runId}`,
    html`<h1>Run ${run.runId}</h1>
<p>${run.runbook} on ${run.cluster} (${run.mode}): <b>${run.outcome}</b>${run.undoneBy ? html`, undone by <a href="/ui/runs/${run.undoneBy}">${run.undoneBy}</a>` : ""}${run.undoOf ? html`, undo of <a href="/ui/runs/${run.undoOf}">${run.undoOf}</a>` : ""}</p>
<pre class="timeline">${timeline}</pre>`,
    viewer,
  );
}
