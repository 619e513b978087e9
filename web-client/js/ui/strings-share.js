/**
 * Screen sharing's strings (the share panel, the full-size view, announcements), German
 * and English key for key (merged into STRINGS by strings.js; placeholders in braces,
 * never inserted as HTML).
 */

export const SHARE_STRINGS = {
  de: {
    "share.heading": "Bildschirm teilen",
    "share.button": "Teilen",
    "share.button.on": "Teilen läuft",
    "share.may":
      "Sie können einen Bildschirm oder ein Fenster auf einen Bildschirm dieses Raums teilen. " +
      "Alle im Raum sehen es dort; nichts wird aufgezeichnet.",
    "share.mayNot": "Bildschirme teilen Moderierende und wen sie zulassen.",
    "share.free": "{screen}: frei",
    "share.starting": "{screen}: {name} beginnt zu teilen …",
    "share.showing": "{screen}: {name} teilt den Bildschirm",
    "share.action.share": "Hier teilen",
    "share.action.stop": "Teilen beenden",
    "share.action.full": "Groß ansehen",
    "share.fullTitle": "Geteilter Bildschirm von {name} ({screen})",
    "share.allowHeading": "Wer teilen darf",
    "share.allow": "{name} darf teilen",
    "share.started": "{name} teilt einen Bildschirm auf {screen}.",
    "share.ended": "Das Teilen auf {screen} ist beendet.",
    "share.notChosen": "Kein Bildschirm gewählt oder nicht erlaubt: es wird nichts geteilt.",
    "share.failed": "Die Verbindung zum geteilten Bildschirm ist gescheitert.",
  },
  en: {
    "share.heading": "Share a screen",
    "share.button": "Share",
    "share.button.on": "Sharing",
    "share.may":
      "You can share a screen or window onto one of this room's screens. Everyone in the " +
      "room sees it there; nothing is recorded.",
    "share.mayNot": "Facilitators share screens, and whom they allow.",
    "share.free": "{screen}: free",
    "share.starting": "{screen}: {name} is starting to share …",
    "share.showing": "{screen}: {name} is sharing a screen",
    "share.action.share": "Share here",
    "share.action.stop": "Stop sharing",
    "share.action.full": "View full size",
    "share.fullTitle": "Screen shared by {name} ({screen})",
    "share.allowHeading": "Who may share",
    "share.allow": "{name} may share",
    "share.started": "{name} is sharing a screen on {screen}.",
    "share.ended": "Sharing on {screen} has ended.",
    "share.notChosen": "No screen chosen or not allowed: nothing is shared.",
    "share.failed": "The connection for the shared screen failed.",
  },
};
