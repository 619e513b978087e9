/**
 * The frame around the 3D view: the toolbar, opening and closing the side panels and the
 * settings dialog, keyboard shortcuts (M rooms, P people, C chat, H hand, I learning
 * stations, V talks), Esc to close, and giving focus back to where it came from.
 */

// Where the keyboard goes when a panel opens.
const FIRST_FOCUS = {
  "panel-rooms": "#room-list button",
  "panel-people": "#people-list button",
  "panel-chat": "#chat-input",
  "panel-station": "#station-show-passport",
  "panel-talks": "#screen-controls button:not(:disabled), #talk-query",
  "panel-accounts": "#account-list button:not(:disabled), #account-username",
  "panel-board": "#board-new-text, #board-body button",
  "panel-offers": "#offers-topic",
  "panel-meet": "#meet-visible",
  "panel-plans": "#plans-body button, #plans-body input",
};

const SHORT_SCREEN_PX = 600;
// A phone: the toolbar is a menu and a panel takes the whole screen (as in hub.css).
const PHONE = "(pointer: coarse) and (max-width: 40rem)";

/** Whether the hub is laid out for a phone (a panel fills the whole screen). */
export function isPhone() {
  return window.matchMedia(PHONE).matches;
}

const PANEL_BUTTONS = {
  "panel-rooms": "toggle-rooms",
  "panel-people": "toggle-people",
  "panel-chat": "toggle-chat",
  "panel-settings": "toggle-settings",
  "panel-station": "toggle-station",
  "panel-talks": "toggle-talks",
  "panel-board": "toggle-board",
  "panel-offers": "toggle-offers",
  "panel-meet": "toggle-meet",
  "panel-consult": "toggle-consult",
  "panel-plans": "toggle-plans",
  "panel-accounts": "toggle-accounts",
  "panel-help": "toggle-help",
};

export class Hud {
  /** view: the 3D canvas; onHand(): toggle the raised hand. */
  constructor(view, onHand) {
    this.view = view;
    this.onHand = onHand;
    for (const [panelId, buttonId] of Object.entries(PANEL_BUTTONS)) {
      document.getElementById(buttonId).addEventListener("click", () => this.toggle(panelId));
    }
    for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-close]"))) {
      button.addEventListener("click", () => this.close(button.dataset.close));
    }
    /** @type {HTMLButtonElement} */ (document.getElementById("toggle-hand")).addEventListener("click", () => this.onHand());
    const settings = /** @type {HTMLDialogElement} */ (document.getElementById("panel-settings"));
    settings.addEventListener("close", () => this.afterClose("panel-settings"));
    const help = /** @type {HTMLDialogElement} */ (document.getElementById("panel-help"));
    help.addEventListener("close", () => this.afterClose("panel-help"));
    window.addEventListener("keydown", (event) => this.shortcut(event));
    this.menuButton = /** @type {HTMLButtonElement} */ (document.getElementById("toggle-menu"));
    this.menuButton.addEventListener("click", () => this.showMenu(!this.menuOpen()));
    // Choosing anything in the menu folds it again.
    document.getElementById("hud-toolbar").addEventListener("click", (event) => {
      if (/** @type {Element} */ (event.target).closest("button")) this.showMenu(false);
    });
    // Panels start below the top bar, however many lines it wraps into.
    const bar = /** @type {HTMLElement} */ (document.querySelector(".hud-top"));
    new ResizeObserver(() => {
      document.documentElement.style.setProperty("--hud-top", `${bar.offsetHeight}px`);
    }).observe(bar);
  }

  isOpen(panelId) {
    const panel = document.getElementById(panelId);
    return panel instanceof HTMLDialogElement ? panel.open : !panel.hidden;
  }

  menuOpen() {
    return this.menuButton.getAttribute("aria-expanded") === "true";
  }

  /** Unfold or fold the phone's menu (the toolbar); on a wider screen it is always shown. */
  showMenu(open, giveFocus = true) {
    this.menuButton.setAttribute("aria-expanded", String(open));
    document.querySelector(".hud-top").classList.toggle("menu-open", open);
    if (open && giveFocus) (/** @type {HTMLElement | null} */ (document.querySelector("#hud-toolbar button:not([hidden])")))?.focus();
  }

  toggle(panelId) {
    if (this.isOpen(panelId)) this.close(panelId);
    else this.open(panelId);
  }

  /** Open a panel and put the keyboard in it. */
  open(panelId, focusSelector) {
    const panel = document.getElementById(panelId);
    if (panel instanceof HTMLDialogElement) {
      if (!panel.open) panel.showModal();
    } else {
      // On a short screen the right-hand panels take turns: two would leave neither usable.
      const stack = panel.closest(".panel-stack");
      if (isPhone()) {
        // On a phone each panel fills the screen: one at a time.
        for (const other of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("#hub .panel:not([hidden])"))) {
          if (other !== panel) {
            other.hidden = true;
            this.afterClose(other.id, false);
          }
        }
      } else if (stack && window.innerHeight < SHORT_SCREEN_PX) {
        for (const other of /** @type {NodeListOf<HTMLElement>} */ (stack.querySelectorAll(":scope > .panel:not([hidden])"))) {
          if (other !== panel) {
            other.hidden = true;
            this.afterClose(other.id, false);
          }
        }
      }
      panel.hidden = false;
    }
    document.getElementById(PANEL_BUTTONS[panelId])?.setAttribute("aria-expanded", "true");
    const target =
      panel.querySelector(focusSelector ?? FIRST_FOCUS[panelId] ?? "input, select, button:not(.close)") ??
      panel.querySelector("button");
    target?.focus();
  }

  close(panelId) {
    const panel = document.getElementById(panelId);
    if (panel instanceof HTMLDialogElement) {
      if (panel.open) panel.close();
      return;
    }
    const hadFocus = panel.contains(document.activeElement);
    panel.hidden = true;
    this.afterClose(panelId, hadFocus);
  }

  afterClose(panelId, hadFocus = true) {
    const button = document.getElementById(PANEL_BUTTONS[panelId]);
    button?.setAttribute("aria-expanded", "false");
    if (hadFocus) button?.focus();
  }

  /** Show whether the hand is up on its toggle button. */
  showHand(raised, label) {
    const button = /** @type {HTMLButtonElement} */ (document.getElementById("toggle-hand"));
    button.setAttribute("aria-pressed", String(raised));
    button.dataset.i18n = raised ? "hud.hand.lower" : "hud.hand.raise";
    button.textContent = label;
  }

  shortcut(event) {
    if (document.getElementById("hub").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    const active = document.activeElement;
    const typing = active && (active.tagName === "INPUT" || active.tagName === "SELECT" || active.tagName === "TEXTAREA");
    if (event.key === "Escape") {
      if (this.menuOpen()) {
        this.showMenu(false);
        this.menuButton.focus();
        event.preventDefault();
        return;
      }
      for (const panelId of ["panel-chat", "panel-people", "panel-rooms", "panel-station", "panel-talks", "panel-board", "panel-plans"]) {
        const panel = document.getElementById(panelId);
        if (!panel.hidden && panel.contains(active)) {
          this.close(panelId);
          event.preventDefault();
          return;
        }
      }
      return;
    }
    if (typing || document.querySelector("dialog[open]")) return;
    const key = event.key.toLowerCase();
    const button = /** @type {HTMLElement | null} */ (document.querySelector(`.toolbar [data-shortcut="${key}"]`));
    if (!button) return;
    event.preventDefault();
    button.click();
  }
}
