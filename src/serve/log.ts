/**
 * Structured logs: one JSON object a line. Fields are values the service chose to log (never a
 * request's headers or a token); strings pass through the engine's redaction like the journal.
 */
import { redactDeep } from "../index.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(write: (line: string) => void, now: () => number = Date.now): Logger {
  return {
    log(level, msg, fields = {}) {
      write(
        `${JSON.stringify({ time: new Date(now()).toISOString(), level, msg, ...redactDeep(fields) })}\n`,
      );
    },
  };
}

export const silentLogger: Logger = { log() {} };
