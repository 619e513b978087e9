/**
 * The translation table: every string the visitor can see or hear, in German and English.
 *
 * German is the first language of the hub; English sits beside it key for key. Placeholders
 * in braces ({name}) are filled by i18n.t(). Nothing here is ever inserted as HTML. The
 * learning stations, the talks and the staff edit mode keep their strings beside this file;
 * they are merged here.
 */

import { ACCOUNT_STRINGS } from "./strings-accounts.js";
import { BOARD_STRINGS } from "./strings-board.js";
import { CONSULTING_STRINGS } from "./strings-consulting.js";
import { EDIT_STRINGS } from "./strings-edit.js";
import { OFFER_STRINGS } from "./strings-offers.js";
import { PEOPLE_STRINGS } from "./strings-people.js";
import { PLAN_STRINGS } from "./strings-plans.js";
import { POLL_STRINGS } from "./strings-polls.js";
import { STATION_CONTENT_STRINGS } from "./strings-station-content.js";
import { STATION_STRINGS } from "./strings-stations.js";
import { TALK_STRINGS } from "./strings-talks.js";
import { SHARE_STRINGS } from "./strings-share.js";
import { VOICE_STRINGS } from "./strings-voice.js";
import { WORKSHOP_STRINGS } from "./strings-workshops.js";
import { AVATAR_STRINGS } from "./strings-avatar.js";

const HUB_STRINGS = {
  de: {
    "app.title": "{site} – Digitaler Zwilling",
    "lang.de": "Deutsch",
    "lang.en": "English",
    "lang.label": "Sprache",

    "start.heading": "Willkommen im digitalen Zwilling",
    "start.returning": "Schön, dass Sie wieder da sind, {name}!",
    "start.erased": "Ihre Daten wurden gelöscht. Sie können jederzeit neu beginnen.",
    "start.name": "Ihr Anzeigename",
    "start.name.hint": "So sehen Sie die anderen. 1 bis 32 Zeichen, kein echter Name nötig.",
    "start.name.empty": "Bitte geben Sie einen Anzeigenamen ein.",
    "start.enter": "Hub betreten",
    "start.entering": "Einen Moment …",
    "start.staff": "Anmeldung für Moderation und Team",
    "start.username": "Benutzername",
    "start.password": "Passwort",
    "start.staff.enter": "Anmelden und betreten",
    "start.privacy":
      "Gespeichert wird nur Ihr Anzeigename, Ihr Avatar und was Sie im Chat schreiben. " +
      "Sie können Ihre Daten jederzeit in den Einstellungen herunterladen oder löschen.",
    "start.error": "Das hat nicht geklappt: {message}",
    "start.noWebgl":
      "Ihr Browser kann keine 3D-Grafik (WebGL) darstellen. Bitte versuchen Sie es mit " +
      "einem aktuellen Browser.",

    "colour.green": "Grün",
    "colour.blue": "Blau",
    "colour.orange": "Orange",
    "colour.purple": "Lila",
    "colour.red": "Rot",
    "colour.teal": "Türkis",
    "colour.yellow": "Gelb",
    "colour.grey": "Grau",

    "howto.heading": "So bewegen Sie sich",
    "howto.keys": "Gehen: W A S D oder Pfeil hoch/runter (Umschalt: schneller)",
    "howto.look": "Umsehen: mit gedrückter Maustaste ziehen, Q/E oder Pfeil links/rechts; Doppelklick für Mausblick (Esc beendet ihn)",
    "howto.click": "Hingehen: auf den Boden klicken oder tippen",
    "howto.touch": "Auf dem Handy: mit dem Steuerkreis unten links gehen, mit dem Finger umsehen",
    "howto.doors": "Durch offene Türen kommen Sie in den nächsten Raum",
    "howto.panels": "Raumliste, Chat und Personen: Tasten M, C und P",

    "loading.heading": "Der Hub wird geladen",
    "loading.world": "3D-Modell",
    "loading.bytes": "{loaded} von {total}",
    "loading.bytesUnknown": "{loaded} geladen",
    "loading.connecting": "Verbindung wird aufgebaut …",
    "loading.building": "Räume werden eingerichtet …",
    "loading.failed": "Der Hub konnte nicht geladen werden: {message}",
    "loading.retry": "Erneut versuchen",

    "hud.room": "Raum: {room}",
    "hud.rooms": "Räume",
    "hud.people": "Personen",
    "hud.chat": "Chat",
    "hud.settings": "Einstellungen",
    "hud.hand.raise": "Hand heben",
    "hud.hand.lower": "Hand senken",
    "hud.leave": "Den Hub verlassen",
    "hud.toolbar": "Werkzeugleiste",
    "hud.canvas": "3D-Ansicht des Hubs. Klicken zum Umsehen, Pfeiltasten zum Gehen.",
    "hud.close": "Schließen",
    "hud.joystick": "Steuerkreis zum Gehen",
    "hud.menu": "Menü",
    "hud.help": "Hilfe",
    "help.heading": "Bedienung",
    "help.walk.keys": "Pfeiltasten oder W A S D",
    "help.walk": "Gehen",
    "help.look.keys": "Ziehen mit der Maus, Doppelklick",
    "help.look": "Umsehen (Doppelklick: Maus fangen, Esc gibt sie frei)",
    "help.click.keys": "Klick auf den Boden",
    "help.click": "Dorthin gehen",
    "help.touch.keys": "Steuerkreis, Wischen",
    "help.touch": "Auf dem Telefon: gehen und umsehen",
    "help.mute": "Mikrofon stumm schalten",
    "help.help": "Diese Hilfe",
    "help.escape": "Panel oder Fenster schließen",

    "rooms.heading": "Räume",
    "rooms.map": "Lageplan",
    "rooms.jump": "Zu {room} gehen",
    "rooms.count": "{count} von {capacity}",
    "rooms.countOpen": "{count} anwesend",
    "rooms.here": "Sie sind hier",
    "rooms.full": "voll",

    "people.heading": "Personen im Raum",
    "people.count": "{count} im Raum",
    "people.you": "{name} (Sie)",
    "people.dm": "Nachricht an {name}",
    "people.goTo": "Hingehen",
    "people.goToName": "Zu {name} gehen",
    "people.follow": "Folgen",
    "people.followName": "{name} folgen",
    "people.unfollow": "Nicht mehr folgen",
    "people.unfollowName": "{name} nicht mehr folgen",
    "people.followStopped": "Sie folgen {name} nicht mehr.",
    "people.followLost": "{name} hat den Raum verlassen. Sie folgen nicht mehr.",
    "people.handRaised": "✋ Hand gehoben ({n}.)",
    "people.empty": "Außer Ihnen ist niemand hier.",

    "role.visitor": "Gast",
    "role.facilitator": "Moderation",
    "role.staff": "Team",

    "chat.heading": "Chat",
    "chat.room": "Raum",
    "chat.direct": "Direkt",
    "chat.to": "An",
    "chat.toRoom": "alle im Raum",
    "chat.elsewhere": "{name} (anderer Raum)",
    "chat.message": "Nachricht",
    "chat.send": "Senden",
    "chat.placeholder": "Nachricht schreiben …",
    "chat.directTo": "an {name}",
    "chat.directFrom": "privat",
    "chat.history": "Frühere Nachrichten",
    "chat.tooLong": "Die Nachricht ist zu lang (höchstens {max} Zeichen).",
    "chat.empty": "Noch keine Nachrichten.",
    "chat.announce": "{name}: {text}",
    "chat.recipientGone": "{name} ist nicht mehr im Raum.",
    "chat.reactions": "Reaktionen",
    "chat.react": "Reaktion senden: {emoji}",
    "chat.reacted": "{name} reagiert: {emoji}",

    "settings.heading": "Einstellungen",
    "settings.display": "Darstellung",
    "settings.reducedMotion": "Bewegung reduzieren (keine weichen Kamerafahrten)",
    "settings.textSize": "Textgröße",
    "settings.textSize.normal": "Normal",
    "settings.textSize.large": "Groß",
    "settings.textSize.larger": "Sehr groß",
    "settings.invertLook": "Maus-Blickrichtung umkehren",
    "settings.privacy": "Ihre Daten",
    "settings.privacyText":
      "Sie können alles herunterladen, was der Hub über Sie gespeichert hat, oder es löschen. " +
      "Nach dem Löschen verlassen Sie den Hub und Ihr Gastkonto ist entfernt.",
    "settings.export": "Meine Daten herunterladen",
    "settings.delete": "Meine Daten löschen",
    "settings.deleteConfirm":
      "Wirklich alle Ihre Daten löschen? Das kann nicht rückgängig gemacht werden.",
    "settings.deleted": "Ihre Daten wurden gelöscht.",
    "settings.exported": "Ihre Daten wurden heruntergeladen.",
    "settings.failed": "Das hat nicht geklappt: {message}",

    "net.reconnecting": "Verbindung unterbrochen – wird wiederhergestellt …",
    "net.reconnected": "Verbindung wiederhergestellt.",
    "net.closed": "Die Verbindung wurde beendet: {reason}",
    "net.reload": "Neu laden",
    "net.error": "Hinweis vom Server: {message}",

    "full.heading": "Dieser Raum ist voll",
    "full.text": "{room} hat gerade keinen freien Platz ({count} von {capacity}).",
    "full.overflowInstance": "{room} – Nebenraum {n} ({count} von {capacity})",
    "full.wait": "Warten, bis ein Platz frei wird",
    "full.waiting": "Sie warten auf einen Platz in {room} …",
    "full.cancel": "Nicht warten",

    "announce.joined": "{name} ist da.",
    "announce.left": "{name} ist gegangen.",
    "announce.room": "Sie sind jetzt in: {room}",
    "announce.handRaised": "{name} hat die Hand gehoben.",

    "bytes.B": "{n} B",
    "bytes.kB": "{n} kB",
    "bytes.MB": "{n} MB",
  },

  en: {
    "app.title": "{site} – Digital twin",
    "lang.de": "Deutsch",
    "lang.en": "English",
    "lang.label": "Language",

    "start.heading": "Welcome to the digital twin",
    "start.returning": "Good to see you again, {name}!",
    "start.erased": "Your data has been deleted. You are welcome to start afresh.",
    "start.name": "Your display name",
    "start.name.hint": "This is how others see you. 1 to 32 characters, no real name needed.",
    "start.name.empty": "Please enter a display name.",
    "start.enter": "Enter the hub",
    "start.entering": "One moment …",
    "start.staff": "Sign-in for facilitators and team",
    "start.username": "User name",
    "start.password": "Password",
    "start.staff.enter": "Sign in and enter",
    "start.privacy":
      "We only store your display name, your avatar and what you write in the chat. " +
      "You can download or delete your data at any time in the settings.",
    "start.error": "That did not work: {message}",
    "start.noWebgl":
      "Your browser cannot show 3D graphics (WebGL). Please try a current browser.",

    "colour.green": "Green",
    "colour.blue": "Blue",
    "colour.orange": "Orange",
    "colour.purple": "Purple",
    "colour.red": "Red",
    "colour.teal": "Teal",
    "colour.yellow": "Yellow",
    "colour.grey": "Grey",

    "howto.heading": "How to move",
    "howto.keys": "Walk: W A S D or arrow up/down (Shift: faster)",
    "howto.look": "Look around: drag with the mouse button held, Q/E or arrow left/right; double-click for mouse look (Esc ends it)",
    "howto.click": "Go somewhere: click or tap on the floor",
    "howto.touch": "On a phone: walk with the circle at the bottom left, look with your finger",
    "howto.doors": "Open doors lead into the next room",
    "howto.panels": "Room list, chat and people: keys M, C and P",

    "loading.heading": "Loading the hub",
    "loading.world": "3D model",
    "loading.bytes": "{loaded} of {total}",
    "loading.bytesUnknown": "{loaded} loaded",
    "loading.connecting": "Connecting …",
    "loading.building": "Setting up the rooms …",
    "loading.failed": "The hub could not be loaded: {message}",
    "loading.retry": "Try again",

    "hud.room": "Room: {room}",
    "hud.rooms": "Rooms",
    "hud.people": "People",
    "hud.chat": "Chat",
    "hud.settings": "Settings",
    "hud.hand.raise": "Raise hand",
    "hud.hand.lower": "Lower hand",
    "hud.leave": "Leave the hub",
    "hud.toolbar": "Toolbar",
    "hud.canvas": "3D view of the hub. Click to look around, arrow keys to walk.",
    "hud.close": "Close",
    "hud.joystick": "Circle for walking",
    "hud.menu": "Menu",
    "hud.help": "Help",
    "help.heading": "Controls",
    "help.walk.keys": "Arrow keys or W A S D",
    "help.walk": "Walk",
    "help.look.keys": "Drag with the mouse, double-click",
    "help.look": "Look around (double-click: capture the mouse, Esc releases it)",
    "help.click.keys": "Click on the floor",
    "help.click": "Walk there",
    "help.touch.keys": "Walking circle, swipe",
    "help.touch": "On a phone: walk and look around",
    "help.mute": "Mute the microphone",
    "help.help": "This help",
    "help.escape": "Close a panel or window",

    "rooms.heading": "Rooms",
    "rooms.map": "Site plan",
    "rooms.jump": "Go to {room}",
    "rooms.count": "{count} of {capacity}",
    "rooms.countOpen": "{count} present",
    "rooms.here": "You are here",
    "rooms.full": "full",

    "people.heading": "People in the room",
    "people.count": "{count} in the room",
    "people.you": "{name} (you)",
    "people.dm": "Message {name}",
    "people.goTo": "Go to",
    "people.goToName": "Go to {name}",
    "people.follow": "Follow",
    "people.followName": "Follow {name}",
    "people.unfollow": "Stop following",
    "people.unfollowName": "Stop following {name}",
    "people.followStopped": "You no longer follow {name}.",
    "people.followLost": "{name} has left the room. You no longer follow them.",
    "people.handRaised": "✋ hand raised (no. {n})",
    "people.empty": "Nobody else is here.",

    "role.visitor": "Guest",
    "role.facilitator": "Facilitator",
    "role.staff": "Team",

    "chat.heading": "Chat",
    "chat.room": "Room",
    "chat.direct": "Direct",
    "chat.to": "To",
    "chat.toRoom": "everyone in the room",
    "chat.elsewhere": "{name} (another room)",
    "chat.message": "Message",
    "chat.send": "Send",
    "chat.placeholder": "Write a message …",
    "chat.directTo": "to {name}",
    "chat.directFrom": "private",
    "chat.history": "Earlier messages",
    "chat.tooLong": "The message is too long (at most {max} characters).",
    "chat.empty": "No messages yet.",
    "chat.announce": "{name}: {text}",
    "chat.recipientGone": "{name} is no longer in the room.",
    "chat.reactions": "Reactions",
    "chat.react": "Send a reaction: {emoji}",
    "chat.reacted": "{name} reacts: {emoji}",

    "settings.heading": "Settings",
    "settings.display": "Display",
    "settings.reducedMotion": "Reduce motion (no smooth camera moves)",
    "settings.textSize": "Text size",
    "settings.textSize.normal": "Normal",
    "settings.textSize.large": "Large",
    "settings.textSize.larger": "Very large",
    "settings.invertLook": "Invert mouse look",
    "settings.privacy": "Your data",
    "settings.privacyText":
      "You can download everything the hub has stored about you, or delete it. After " +
      "deleting you leave the hub and your guest account is removed.",
    "settings.export": "Download my data",
    "settings.delete": "Delete my data",
    "settings.deleteConfirm": "Really delete all your data? This cannot be undone.",
    "settings.deleted": "Your data has been deleted.",
    "settings.exported": "Your data has been downloaded.",
    "settings.failed": "That did not work: {message}",

    "net.reconnecting": "Connection lost – reconnecting …",
    "net.reconnected": "Connection restored.",
    "net.closed": "The connection was closed: {reason}",
    "net.reload": "Reload",
    "net.error": "Note from the server: {message}",

    "full.heading": "This room is full",
    "full.text": "{room} has no free place right now ({count} of {capacity}).",
    "full.overflowInstance": "{room} – overflow {n} ({count} of {capacity})",
    "full.wait": "Wait for a free place",
    "full.waiting": "You are waiting for a place in {room} …",
    "full.cancel": "Stop waiting",

    "announce.joined": "{name} has arrived.",
    "announce.left": "{name} has left.",
    "announce.room": "You are now in: {room}",
    "announce.handRaised": "{name} raised their hand.",

    "bytes.B": "{n} B",
    "bytes.kB": "{n} kB",
    "bytes.MB": "{n} MB",
  },
};

export const STRINGS = {
  de: {
    ...AVATAR_STRINGS.de,
    ...HUB_STRINGS.de, ...PLAN_STRINGS.de, ...POLL_STRINGS.de, ...STATION_STRINGS.de, ...TALK_STRINGS.de, ...WORKSHOP_STRINGS.de, ...EDIT_STRINGS.de,
    ...ACCOUNT_STRINGS.de, ...VOICE_STRINGS.de, ...SHARE_STRINGS.de, ...BOARD_STRINGS.de, ...OFFER_STRINGS.de, ...PEOPLE_STRINGS.de,
    ...STATION_CONTENT_STRINGS.de,
    ...CONSULTING_STRINGS.de,
  },
  en: {
    ...AVATAR_STRINGS.en,
    ...HUB_STRINGS.en, ...PLAN_STRINGS.en, ...POLL_STRINGS.en, ...STATION_STRINGS.en, ...TALK_STRINGS.en, ...WORKSHOP_STRINGS.en, ...EDIT_STRINGS.en,
    ...ACCOUNT_STRINGS.en, ...VOICE_STRINGS.en, ...SHARE_STRINGS.en, ...BOARD_STRINGS.en, ...OFFER_STRINGS.en, ...PEOPLE_STRINGS.en,
    ...STATION_CONTENT_STRINGS.en,
    ...CONSULTING_STRINGS.en,
  },
};
