/**
 * Text from outside (alert labels, parameters templated from them) shown in a notification: a
 * label value such as `<https://evil|click>` or `**[x](javascript:…)**` must arrive as the
 * characters it is, not as a link or markup, in HTML, Markdown and Slack's mrkdwn alike.
 */
const HTML: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeUntrusted(text: string): string {
  return (
    text
      // Control characters (newlines too) could start a new Markdown block or fake a line of the message.
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ")
      .replace(/[&<>"']/g, (c) => HTML[c] as string)
      .replace(/[\\`*_~[\]()#|]/g, (c) => `\\${c}`)
      // Slack and chat clients turn @here / @channel into pings.
      .replace(/@/g, "@\u200b")
  );
}
