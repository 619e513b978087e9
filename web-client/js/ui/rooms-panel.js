/**
 * The room list and site plan: every room of the hub with how many people are in it, the
 * room you are in marked, a button per room to jump to its spawn point, and a small
 * top-down plan with the rooms' outlines, the people around you and where you look. In a
 * hub of several storeys the plan shows the storey you stand on, named in its corner, and
 * the people on it; it changes as you go up or down the stairs.
 */

import { pick, t } from "./i18n.js";
import { siteColour } from "./theme.js";

export class RoomsPanel {
  /**
   * rooms: world rooms [{id, names, floor, floorY, bounds: {x0, x1, z0, z1}}]; onJump(roomId);
   * floors: the storeys [{id, names, elevation}] of a hub with more than one (else empty).
   */
  constructor(rooms, onJump, floors = []) {
    this.rooms = rooms;
    this.floors = [...floors].sort((a, b) => a.elevation - b.elevation);
    // The storey the plan shows: the one the visitor stands on (null: one storey only).
    this.floorShown = null;
    this.onJump = onJump;
    this.list = document.getElementById("room-list");
    this.canvas = /** @type {HTMLCanvasElement} */ (document.getElementById("minimap"));
    this.context = this.canvas.getContext("2d");
    this.occupancy = new Map();
    this.capacity = new Map();
    this.names = new Map(rooms.map((room) => [room.id, room.names]));
    this.current = null;
    const xs = rooms.flatMap((room) => [room.bounds.x0, room.bounds.x1]);
    const zs = rooms.flatMap((room) => [room.bounds.z0, room.bounds.z1]);
    this.extent = { x0: Math.min(...xs), x1: Math.max(...xs), z0: Math.min(...zs), z1: Math.max(...zs) };
    const aspect = (this.extent.x1 - this.extent.x0) / Math.max(1, this.extent.z1 - this.extent.z0);
    this.canvas.width = 480;
    this.canvas.height = Math.round(Math.min(480, Math.max(160, 480 / aspect)));
    this.layout = null;
    this.lastLevel = null;
    // A click on a room of the plan jumps there, like its button in the list below.
    this.canvas.addEventListener("click", (event) => {
      const room = this.roomAtPixel(event);
      if (room && room.id !== this.current) this.onJump(room.id);
    });
  }

  roomAtPixel(event) {
    if (!this.layout) return null;
    const rect = this.canvas.getBoundingClientRect();
    const px = ((event.clientX - rect.left) / rect.width) * this.canvas.width;
    const pz = ((event.clientY - rect.top) / rect.height) * this.canvas.height;
    const { ox, oz, scale } = this.layout;
    const x = this.extent.x0 + (px - ox) / scale;
    const z = this.extent.z0 + (pz - oz) / scale;
    return this.rooms.find(
      (room) =>
        room.bounds && this.onLevel(room) &&
        x >= room.bounds.x0 && x <= room.bounds.x1 && z >= room.bounds.z0 && z <= room.bounds.z1,
    ) ?? null;
  }

  onLevel(room) {
    if (this.floorShown) return room.floor === this.floorShown.id;
    return this.lastLevel === null || Math.abs(room.floorY - this.lastLevel) <= 2;
  }

  /** The storey of feet at height y: the highest floor at or a little below them (on the
   * stairs one is on the lower storey until the top step). */
  floorAt(y) {
    if (this.floors.length < 2 || y === undefined || y === null) return null;
    let best = this.floors[0];
    for (const floor of this.floors) if (floor.elevation <= y + 0.3) best = floor;
    return best;
  }

  testState() {
    return {
      floor: this.floorShown?.id ?? null,
      rooms: this.rooms.filter((room) => room.bounds && this.onLevel(room)).map((room) => room.id),
    };
  }

  /** The server's room list: [{id, names, capacity, instances: [{instance, occupancy}]}]. */
  setOccupancy(serverRooms) {
    for (const room of serverRooms) {
      const people = room.instances.reduce((sum, entry) => sum + entry.occupancy, 0);
      this.occupancy.set(room.id, people);
      this.capacity.set(room.id, room.capacity);
      if (room.names) this.names.set(room.id, room.names);
      if (!this.rooms.some((known) => known.id === room.id)) {
        this.rooms.push({ id: room.id, names: room.names, bounds: null });
      }
    }
    this.render();
  }

  setCurrent(roomId) {
    this.current = roomId;
    this.render();
  }

  roomName(roomId) {
    return pick(this.names.get(roomId)) || roomId;
  }

  render() {
    const items = this.rooms.map((room) => {
      const li = document.createElement("li");
      li.dataset.roomId = room.id;
      const button = document.createElement("button");
      button.type = "button";
      const name = this.roomName(room.id);
      button.textContent = name;
      if (room.id === this.current) {
        li.classList.add("here");
        button.setAttribute("aria-current", "location");
        button.setAttribute("aria-label", `${name} – ${t("rooms.here")}`);
      } else {
        button.setAttribute("aria-label", t("rooms.jump", { room: name }));
      }
      button.addEventListener("click", () => this.onJump(room.id));
      const count = document.createElement("span");
      count.className = "room-count";
      const people = this.occupancy.get(room.id) ?? 0;
      const capacity = this.capacity.get(room.id);
      count.textContent = capacity ? t("rooms.count", { count: people, capacity }) : t("rooms.countOpen", { count: people });
      li.append(button, count);
      return li;
    });
    this.list.replaceChildren(...items);
  }

  /** Redraw the plan of the storey one is on: me {x, y, z, yaw}, others [{x, y, z, colour}]. */
  drawMap(me, others) {
    const ctx = this.context;
    const { width, height } = this.canvas;
    const pad = 10;
    const sx = (width - 2 * pad) / Math.max(1, this.extent.x1 - this.extent.x0);
    const sz = (height - 2 * pad) / Math.max(1, this.extent.z1 - this.extent.z0);
    const scale = Math.min(sx, sz);
    const ox = pad + (width - 2 * pad - (this.extent.x1 - this.extent.x0) * scale) / 2;
    const oz = pad + (height - 2 * pad - (this.extent.z1 - this.extent.z0) * scale) / 2;
    const px = (x) => ox + (x - this.extent.x0) * scale;
    const pz = (z) => oz + (z - this.extent.z0) * scale;
    this.layout = { ox, oz, scale };
    this.lastLevel = me ? me.y : null;
    this.floorShown = me ? this.floorAt(me.y) : null;

    ctx.fillStyle = "#26332c";
    ctx.fillRect(0, 0, width, height);
    ctx.font = "600 13px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const room of this.rooms) {
      // Only the storey one is on: rooms above or below would overlap on the plan.
      if (!room.bounds || !this.onLevel(room)) continue;
      const { x0, x1, z0, z1 } = room.bounds;
      const here = room.id === this.current;
      ctx.fillStyle = here ? "#3e5c4b" : "#33443a";
      ctx.fillRect(px(x0), pz(z0), (x1 - x0) * scale, (z1 - z0) * scale);
      ctx.strokeStyle = here ? siteColour("accent") : "#8fa99a";
      ctx.lineWidth = here ? 2 : 1;
      ctx.strokeRect(px(x0), pz(z0), (x1 - x0) * scale, (z1 - z0) * scale);
      const label = this.roomName(room.id);
      const maxWidth = (x1 - x0) * scale - 4;
      if (maxWidth > 24) {
        ctx.fillStyle = "#ffffff";
        ctx.fillText(label, px((x0 + x1) / 2), pz((z0 + z1) / 2) - 7, maxWidth);
        ctx.fillStyle = "#c7d6cc";
        const people = this.occupancy.get(room.id) ?? 0;
        ctx.fillText(t("rooms.countOpen", { count: people }), px((x0 + x1) / 2), pz((z0 + z1) / 2) + 9, maxWidth);
      }
    }
    if (this.floorShown) {
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      ctx.fillStyle = "#ffffff";
      ctx.fillText(pick(this.floorShown.names) || this.floorShown.id, 6, 4);
    }
    for (const other of others) {
      if (this.floorShown && this.floorAt(other.y)?.id !== this.floorShown.id) continue;
      ctx.fillStyle = other.colour;
      ctx.beginPath();
      ctx.arc(px(other.x), pz(other.z), 4, 0, Math.PI * 2);
      ctx.fill();
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    if (me) {
      const x = px(me.x);
      const z = pz(me.z);
      const dx = -Math.sin(me.yaw);
      const dz = -Math.cos(me.yaw);
      ctx.fillStyle = siteColour("accent");
      ctx.beginPath();
      ctx.moveTo(x + dx * 9, z + dz * 9);
      ctx.lineTo(x - dz * 5 - dx * 4, z + dx * 5 - dz * 4);
      ctx.lineTo(x + dz * 5 - dx * 4, z - dx * 5 - dz * 4);
      ctx.closePath();
      ctx.fill();
    }
  }
}
