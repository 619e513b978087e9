/**
 * The people list of the current room: name, role, raised hand (in queue order), and buttons to
 * write to someone directly, go to them and follow them (go-to-person.js, set by hub-app.js as
 * onGoTo, onFollow and followingId). Names are set with textContent only.
 */

import { t } from "./i18n.js";

export class PeopleList {
  /** onDirect(person): start a direct message to person. */
  constructor(onDirect) {
    this.list = document.getElementById("people-list");
    this.count = document.getElementById("people-count");
    this.onDirect = onDirect;
    this.people = [];
    this.selfId = null;
    // Set by hub-app.js (go-to-person.js) and voice.js where those are in use.
    /** @type {((person: object) => void) | null} */
    this.onGoTo = null;
    /** @type {((person: object) => void) | null} */
    this.onFollow = null;
    /** @type {(() => string | null) | null} */
    this.followingId = null;
    /** @type {((personId: string) => object | null) | null} */
    this.voiceOf = null;
    /** @type {((personId: string, volume: number) => void) | null} */
    this.onVolume = null;
  }

  /** people: [{id, name, role, hand, handOrder}] including the visitor (selfId). */
  render(people, selfId) {
    this.people = people;
    this.selfId = selfId;
    const sorted = [...people].sort((a, b) => {
      if (a.id === selfId) return -1;
      if (b.id === selfId) return 1;
      if (a.hand !== b.hand) return a.hand ? -1 : 1;
      if (a.hand && b.hand) return a.handOrder - b.handOrder;
      return a.name.localeCompare(b.name);
    });
    this.count.textContent = t("people.count", { count: people.length });
    const items = sorted.map((person) => this.item(person));
    if (people.length <= 1) {
      const empty = document.createElement("li");
      empty.className = "status";
      empty.textContent = t("people.empty");
      items.push(empty);
    }
    this.list.replaceChildren(...items);
  }

  item(person) {
    const li = document.createElement("li");
    li.dataset.personId = person.id;
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = person.colour ?? "#6b7280";
    swatch.setAttribute("aria-hidden", "true");
    const name = document.createElement("span");
    name.className = "person-name";
    name.textContent = person.id === this.selfId ? t("people.you", { name: person.name }) : person.name;
    const role = document.createElement("span");
    role.className = "person-role";
    role.textContent = t(`role.${person.role}`);
    li.append(swatch, name, role);
    if (person.hand) {
      const flag = document.createElement("span");
      flag.className = "person-flags";
      flag.textContent = t("people.handRaised", { n: person.handOrder });
      li.appendChild(flag);
    }
    const voice = this.voiceOf?.(person.id);
    if (voice) li.append(...this.voiceParts(person, voice));
    if (person.id !== this.selfId) {
      li.appendChild(this.button("chat.direct", t("people.dm", { name: person.name }), () => this.onDirect(person)));
      if (this.onGoTo) {
        const go = this.button("people.goTo", t("people.goToName", { name: person.name }), () => this.onGoTo(person));
        go.className = "person-go";
        li.appendChild(go);
      }
      if (this.onFollow) {
        const following = this.followingId?.() === person.id;
        const follow = this.button(
          following ? "people.unfollow" : "people.follow",
          t(following ? "people.unfollowName" : "people.followName", { name: person.name }),
          () => this.onFollow(person),
        );
        follow.className = "person-follow";
        follow.setAttribute("aria-pressed", String(following));
        li.appendChild(follow);
      }
    }
    return li;
  }

  button(labelKey, ariaLabel, onClick) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = t(labelKey);
    button.setAttribute("aria-label", ariaLabel);
    button.addEventListener("click", onClick);
    return button;
  }

  /** Someone's voice (voice.js sets voiceOf and onVolume): their state, a speaking
   * indicator and, for others who speak, a volume of one's own. */
  voiceParts(person, voice) {
    const badge = document.createElement("span");
    badge.className = "person-voice";
    badge.dataset.voice = voice.state;
    badge.classList.toggle("speaking", voice.speaking);
    badge.textContent = t(`voice.person.${voice.state}`);
    if (person.id === this.selfId || voice.state === "listening") return [badge];
    const volume = document.createElement("input");
    volume.type = "range";
    volume.className = "person-volume";
    volume.min = "0";
    volume.max = "2";
    volume.step = "0.1";
    volume.value = String(voice.volume);
    volume.setAttribute("aria-label", t("voice.volume", { name: person.name }));
    volume.addEventListener("input", () => this.onVolume?.(person.id, Number(volume.value)));
    return [badge, volume];
  }

  refresh() {
    this.render(this.people, this.selfId);
  }
}
