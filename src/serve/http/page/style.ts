/** The page's one stylesheet, served as a file so the CSP needs no 'unsafe-inline'. */
export const PAGE_CSS = `
:root { color-scheme: light dark; --muted: #6b7280; --line: #d1d5db; --warn: #b45309; --bad: #b91c1c; --ok: #15803d; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); }
header .home { font-weight: 600; text-decoration: none; color: inherit; }
header .who { margin-left: auto; color: var(--muted); }
header form { margin: 0; }
main { padding: 1rem 1.2rem 3rem; max-width: 72rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 1.8rem; } h3 { font-size: 1rem; }
table { border-collapse: collapse; margin: .6rem 0; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
pre { overflow-x: auto; padding: .6rem; border: 1px solid var(--line); background: rgba(127,127,127,.08); }
code { font-family: ui-monospace, monospace; font-size: .92em; }
blockquote { margin: .6rem 0; padding: .2rem .8rem; border-left: 4px solid var(--warn); }
.plan { border-top: 1px solid var(--line); margin-top: 1.2rem; }
.notice { padding: .5rem .8rem; border: 1px solid var(--ok); }
.error { padding: .5rem .8rem; border: 1px solid var(--bad); color: var(--bad); white-space: pre-wrap; }
.muted { color: var(--muted); }
.status-pending, .status-approved, .status-applying { color: var(--warn); font-weight: 600; }
.status-denied, .status-expired { color: var(--bad); font-weight: 600; }
.status-applied { color: var(--ok); font-weight: 600; }
form.decide { display: inline-block; margin: .4rem 1rem .4rem 0; padding: .6rem; border: 1px solid var(--line); }
label { display: block; margin-bottom: .3rem; }
input[type=text], input[type=password] { font: inherit; padding: .3rem; min-width: 18rem; }
button { font: inherit; padding: .3rem .9rem; cursor: pointer; }
`;
