/**
 * Voice's strings (the voice panel, the consent step, each person's voice state), German
 * and English key for key (merged into STRINGS by strings.js; placeholders in braces,
 * never inserted as HTML).
 */

export const VOICE_STRINGS = {
  de: {
    "voice.heading": "Sprache",
    "voice.privacy":
      "Wenn Sie Sprache einschalten, fragt Ihr Browser nach dem Mikrofon. Ihre Stimme geht " +
      "nur an die Personen in Ihrer Nähe im selben Raum (und an alle im Raum, solange Sie " +
      "auf der Bühne stehen), über den Medienserver dieses Hubs. Nichts wird aufgezeichnet " +
      "oder gespeichert. Sie können jederzeit stummschalten oder Sprache ausschalten.",
    "voice.withMic": "Mit Mikrofon sprechen",
    "voice.listenOnly": "Nur zuhören",
    "voice.mute": "Stummschalten ({key})",
    "voice.unmute": "Stummschaltung aufheben ({key})",
    "voice.off": "Sprache ausschalten",
    "voice.level": "Mikrofonpegel",
    "voice.quiet": "Ruhiger Raum: nur wer auf der Bühne steht, ist zu hören",
    "voice.quietRoom": "Ruhiger Raum: Sie hören nur die Bühne.",
    "voice.noPermission":
      "Das Mikrofon wurde nicht erlaubt: Sie hören zu, die anderen hören Sie nicht. " +
      "Erlauben Sie das Mikrofon in den Einstellungen Ihres Browsers und schalten Sie Sprache neu ein.",
    "voice.noMicrophone": "Kein Mikrofon gefunden: Sie hören nur zu.",
    "voice.unavailable": "Sprache ist gerade nicht verfügbar. Der Hub versucht es weiter.",
    "voice.reconnecting": "Verbindung unterbrochen, Sprache wird neu verbunden …",
    "voice.state.connecting": "Sprache wird verbunden …",
    "voice.state.live": "Sie sind zu hören.",
    "voice.state.muted": "Stummgeschaltet.",
    "voice.state.held": "Eine Moderatorin oder ein Moderator hat Sie stummgeschaltet.",
    "voice.state.listening": "Sie hören zu (ohne Mikrofon).",
    "voice.state.failed": "Die Sprachverbindung ist gescheitert, neuer Versuch …",
    "voice.button.off": "Sprache",
    "voice.button.connecting": "Sprache …",
    "voice.button.live": "Sprache an",
    "voice.button.muted": "Stumm",
    "voice.button.held": "Stumm (Moderation)",
    "voice.button.listening": "Zuhören",
    "voice.button.failed": "Sprache gestört",
    "voice.person.connecting": "verbindet",
    "voice.person.live": "Mikrofon an",
    "voice.person.muted": "stumm",
    "voice.person.held": "stumm (Moderation)",
    "voice.person.listening": "hört zu",
    "voice.person.failed": "gestört",
    "voice.volume": "Lautstärke von {name}",
  },
  en: {
    "voice.heading": "Voice",
    "voice.privacy":
      "When you turn voice on, your browser asks for the microphone. Your voice goes only " +
      "to the people near you in the same room (and to everyone in the room while you stand " +
      "on the stage), through this hub's media server. Nothing is recorded or stored. You " +
      "can mute yourself or turn voice off at any time.",
    "voice.withMic": "Speak with microphone",
    "voice.listenOnly": "Listen only",
    "voice.mute": "Mute ({key})",
    "voice.unmute": "Unmute ({key})",
    "voice.off": "Turn voice off",
    "voice.level": "Microphone level",
    "voice.quiet": "Quiet room: only whoever stands on the stage is heard",
    "voice.quietRoom": "Quiet room: you hear only the stage.",
    "voice.noPermission":
      "The microphone was not allowed: you listen, the others do not hear you. Allow the " +
      "microphone in your browser's settings and turn voice on again.",
    "voice.noMicrophone": "No microphone found: you listen only.",
    "voice.unavailable": "Voice is not available at the moment. The hub keeps trying.",
    "voice.reconnecting": "Connection lost, reconnecting voice …",
    "voice.state.connecting": "Connecting voice …",
    "voice.state.live": "You can be heard.",
    "voice.state.muted": "Muted.",
    "voice.state.held": "A facilitator muted you.",
    "voice.state.listening": "You are listening (no microphone).",
    "voice.state.failed": "The voice connection failed, trying again …",
    "voice.button.off": "Voice",
    "voice.button.connecting": "Voice …",
    "voice.button.live": "Voice on",
    "voice.button.muted": "Muted",
    "voice.button.held": "Muted (facilitator)",
    "voice.button.listening": "Listening",
    "voice.button.failed": "Voice trouble",
    "voice.person.connecting": "connecting",
    "voice.person.live": "microphone on",
    "voice.person.muted": "muted",
    "voice.person.held": "muted (facilitator)",
    "voice.person.listening": "listening",
    "voice.person.failed": "trouble",
    "voice.volume": "Volume of {name}",
  },
};
