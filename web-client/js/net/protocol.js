/**
 * The realtime protocol as the server describes it (GET /api/protocol): message names,
 * binary frame layouts, limits, avatar appearance choices, emoji and error codes. The client reads
 * these at runtime instead of keeping its own copy; only the meaning of the fields (what
 * the client does with a "joined") lives in the code.
 */

export class ProtocolTable {
  constructor(description) {
    this.description = description;
    this.version = description.version;
    this.typeKey = description.control?.type_key ?? "t";
    this.clientMessages = description.messages.client;
    this.serverMessages = description.messages.server;
    this.binary = description.binary;
    this.limits = description.limits;
    this.errors = description.errors;
    // the avatar's appearance choices by field ({shape: [...], skin: [...], ...})
    this.appearance = description.appearance ?? {};
    this.emoji = description.emoji;
  }

  /** Whether the server accepts a client message of this type. */
  accepts(type) {
    return Object.hasOwn(this.clientMessages, type);
  }

  /** Whether the server may send a message of this type. */
  sends(type) {
    return Object.hasOwn(this.serverMessages, type);
  }

  /** The fields the table lists for a client message (names). */
  clientFields(type) {
    return (this.clientMessages[type]?.fields ?? []).map((field) => field.name);
  }

  /** The human sentence for an error code in lang, or null for an unknown code. */
  errorText(code, lang) {
    const entry = this.errors[code];
    if (!entry) return null;
    return entry[lang] ?? entry.de;
  }

  /** Whether an error code ends the connection (it has a close code). */
  isFatal(code) {
    return Boolean(this.errors[code]?.close);
  }

  /** The error code whose close code is closeCode, or null. */
  codeForClose(closeCode) {
    for (const [code, entry] of Object.entries(this.errors)) {
      if (entry.close === closeCode) return code;
    }
    return null;
  }
}
