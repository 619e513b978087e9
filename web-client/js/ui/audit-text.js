/**
 * One moderation log entry (GET /api/moderation/audit) as a sentence in the UI language:
 * when in local time, where, and who did what to whom ("04.12.2026, 18:58 · Werkstatt · Mara
 * hat Ben stummgeschaltet – für 10 Min."). The server keeps the action and its
 * detail as plain words (server/workshop/moderation.py); this reads them: "10 min", "until 1767225600
 * Beleidigungen" (a ban's end in Unix seconds, then the reason), "chat=facilitators
 * reactions=everyone" and the like. Unknown actions are shown as they are.
 */

import { language, t } from "./i18n.js";

const WITH_TARGET = new Set(["mute", "unmute", "remove", "ban", "unban", "invite"]);
const KNOWN = new Set([...WITH_TARGET, "lock", "unlock", "permissions", "extend"]);

function locale() {
  return language() === "en" ? "en-GB" : "de-DE";
}

/** A Unix time as the visitor reads it: date and hour:minute, local time. */
export function localTime(seconds) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(seconds * 1000));
}

function detailText(action, detail) {
  const words = detail.trim();
  if (!words) return "";
  const minutes = /^(\d+) min$/.exec(words);
  if (minutes) return t(action === "extend" ? "ws.audit.longer" : "ws.audit.minutes", { n: minutes[1] });
  if (action === "ban") {
    const until = /^until (\d+(?:\.\d+)?)\s*(.*)$/s.exec(words);
    if (until) {
      const end = t("ws.until", { time: localTime(Number(until[1])) });
      return until[2] ? `${end}: ${until[2]}` : end;
    }
    return words;
  }
  if (action === "permissions") {
    return words.split(/\s+/).map((pair) => {
      const [key, value] = pair.split("=");
      if (!["chat", "reactions", "screens"].includes(key)) return pair;
      const who = t(`ws.audit.${value}`);
      return t(`ws.audit.${key}`, { who: who.startsWith("ws.") ? value : who });
    }).join(", ");
  }
  if (action === "unban" && words === "command line") return t("ws.audit.commandLine");
  return words;
}

/** The entry as one line of text (names from people are plain text; the caller sets it
 * with textContent). */
export function auditText(entry, roomName = (id) => id) {
  const target = entry.target_name ?? "?";
  const what = KNOWN.has(entry.action) ? t(`ws.audit.${entry.action}`, { target }) : `${entry.action}${entry.target_name ? ` ${target}` : ""}`;
  const parts = [localTime(entry.at), ...(entry.room ? [roomName(entry.room)] : []), `${entry.actor_name} ${what}`];
  const detail = detailText(entry.action, entry.detail ?? "");
  return `${parts.join(" · ")}${detail ? ` – ${detail}` : ""}`;
}
