/**
 * Spoken announcements for screen readers (one polite aria-live region): someone arrived,
 * the room changed, a hand went up. Chat has its own live log.
 */

const region = () => document.getElementById("announcer");
let clearTimer = null;

/** Have screen readers read text (plain text only). */
export function announce(text) {
  const el = region();
  if (!el) return;
  el.textContent = "";
  // A fresh text node after a tick is what makes every reader notice a repeat.
  setTimeout(() => {
    el.textContent = text;
  }, 30);
  clearTimeout(clearTimer);
  clearTimer = setTimeout(() => {
    el.textContent = "";
  }, 8000);
}
