/**
 * The other people in the room as 3D avatars: one instanced mesh per body shape (colour per
 * instance), one for the visors that show where someone looks, one for raised hands, and
 * the name tags (nametags.js), and soft blob shadows on the floor. However many people
 * there are, that is a handful of draw calls. Each avatar's movement comes from its
 * PoseBuffer (interpolation.js).
 */

import * as THREE from "three";
import { mergeGeometries } from "three/addons/utils/BufferGeometryUtils.js";
import { PoseBuffer } from "./interpolation.js";
import { NameTags } from "./nametags.js";
import { siteColour } from "./ui/theme.js";

export const SHAPES = ["capsule", "cube", "cone", "sphere", "cylinder"];
const INITIAL_CAPACITY = 32;
const TAG_HEIGHT = 2.05;
const TAG_DISTANCE = 30;
const SPEAKING_MS = 4000;
/** How fast the delay an avatar is drawn with may change, per millisecond drawn: shrinking
 * (it then moves at most 10 % fast) and growing (at most half as fast, never backwards). */
const DELAY_CATCH_UP = 0.1;
const DELAY_FALL_BACK = 0.5;

function bodyGeometry(shape) {
  let body;
  if (shape === "cone") body = new THREE.ConeGeometry(0.34, 1.3, 20).translate(0, 0.65, 0);
  else if (shape === "sphere") body = new THREE.SphereGeometry(0.45, 24, 16).translate(0, 0.75, 0);
  else if (shape === "cube") body = new THREE.BoxGeometry(0.52, 1.25, 0.34).translate(0, 0.625, 0);
  else if (shape === "cylinder") body = new THREE.CylinderGeometry(0.26, 0.3, 1.25, 20).translate(0, 0.625, 0);
  else body = new THREE.CapsuleGeometry(0.27, 0.7, 6, 16).translate(0, 0.62, 0);
  const head = new THREE.SphereGeometry(0.19, 20, 14).translate(0, 1.5, 0);
  return mergeGeometries([body, head]);
}

/** A round, soft shadow texture (drawn once). */
function blobTexture() {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  const ctx = canvas.getContext("2d");
  const gradient = ctx.createRadialGradient(32, 32, 4, 32, 32, 32);
  gradient.addColorStop(0, "rgba(0, 0, 0, 0.55)");
  gradient.addColorStop(1, "rgba(0, 0, 0, 0)");
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, 64, 64);
  return new THREE.CanvasTexture(canvas);
}

function instanced(geometry, material, capacity, name) {
  const mesh = new THREE.InstancedMesh(geometry, material, capacity);
  mesh.count = 0;
  mesh.frustumCulled = false;
  mesh.name = name;
  return mesh;
}

/** Everyone else in the room, drawn and moved smoothly. */
export class AvatarCrowd {
  constructor(scene, tickMs = 50) {
    this.scene = scene;
    this.tickMs = tickMs;
    this.avatars = new Map();
    this.capacity = INITIAL_CAPACITY;
    this.group = new THREE.Group();
    this.group.name = "avatars";
    scene.add(this.group);

    this.bodies = new Map();
    this.bodyMaterial = new THREE.MeshStandardMaterial({ roughness: 0.6, metalness: 0 });
    for (const shape of SHAPES) {
      this.bodies.set(shape, instanced(bodyGeometry(shape), this.bodyMaterial, this.capacity, `avatar-${shape}`));
    }
    const visor = new THREE.BoxGeometry(0.26, 0.09, 0.08).translate(0, 1.53, -0.16);
    this.visors = instanced(visor, new THREE.MeshStandardMaterial({ color: 0x1c2621, roughness: 0.3 }), this.capacity, "avatar-visors");
    const hand = new THREE.SphereGeometry(0.09, 12, 8).translate(0.32, 1.95, 0);
    const arm = new THREE.CylinderGeometry(0.035, 0.035, 0.5, 8).translate(0.3, 1.68, 0);
    this.hands = instanced(mergeGeometries([hand, arm]), new THREE.MeshStandardMaterial({ color: siteColour("accent"), roughness: 0.5 }), this.capacity, "avatar-hands");
    const blob = new THREE.PlaneGeometry(1.1, 1.1).rotateX(-Math.PI / 2).translate(0, 0.02, 0);
    const blobMaterial = new THREE.MeshBasicMaterial({ map: blobTexture(), transparent: true, depthWrite: false });
    this.shadows = instanced(blob, blobMaterial, this.capacity, "avatar-shadows");
    this.shadows.renderOrder = 1;
    for (const mesh of [...this.bodies.values(), this.visors, this.hands, this.shadows]) this.group.add(mesh);
    this.tags = new NameTags(scene);

    this.matrix = new THREE.Matrix4();
    this.quaternion = new THREE.Quaternion();
    this.up = new THREE.Vector3(0, 1, 0);
    this.scale = new THREE.Vector3(1, 1, 1);
    this.point = new THREE.Vector3();
    this.colour = new THREE.Color();
    this.pose = { x: 0, y: 0, z: 0, yaw: 0 };
  }

  /** Add someone or update how they look: {name, role, colour, shape}. */
  upsert(id, look) {
    let avatar = this.avatars.get(id);
    if (!avatar) {
      avatar = { id, buffer: new PoseBuffer(this.tickMs), hand: false, speakingUntil: 0, shown: null };
      this.avatars.set(id, avatar);
    }
    avatar.name = look.name ?? avatar.name ?? "";
    avatar.role = look.role ?? avatar.role ?? "visitor";
    avatar.colour = look.colour ?? avatar.colour ?? "#2f7d4f";
    avatar.shape = SHAPES.includes(look.shape) ? look.shape : (avatar.shape ?? SHAPES[0]);
    return avatar;
  }

  remove(id) {
    this.avatars.delete(id);
    this.tags.release(id);
  }

  clear() {
    for (const id of [...this.avatars.keys()]) this.remove(id);
  }

  has(id) {
    return this.avatars.has(id);
  }

  /** A pose from the server at server time t (ms); see PoseBuffer.push. */
  pushPose(id, t, x, y, z, yaw, snap) {
    const avatar = this.avatars.get(id);
    if (!avatar) return;
    avatar.buffer.push(t, x, y, z, yaw, snap);
    avatar.received = { x, z, wall: Date.now() };
  }

  setHand(id, raised) {
    const avatar = this.avatars.get(id);
    if (avatar) avatar.hand = Boolean(raised);
  }

  /** Someone wrote in the chat: show the speech bubble for a few seconds. */
  spoke(id) {
    const avatar = this.avatars.get(id);
    if (avatar) avatar.speakingUntil = performance.now() + SPEAKING_MS;
  }

  /** Someone reacted: show the emoji on their tag for a few seconds. */
  react(id, emoji) {
    const avatar = this.avatars.get(id);
    if (avatar) avatar.reaction = { emoji, until: performance.now() + SPEAKING_MS };
  }

  /**
   * Where an avatar is shown now ({x, y, z, yaw, at, wall}: at is the frame's
   * performance.now(), wall its Date.now()) or null.
   */
  shownPose(id) {
    return this.avatars.get(id)?.shown ?? null;
  }

  ensureCapacity(count) {
    if (count <= this.capacity) return;
    while (this.capacity < count) this.capacity *= 2;
    const grow = (mesh) => {
      const bigger = instanced(mesh.geometry, mesh.material, this.capacity, mesh.name);
      this.group.remove(mesh);
      this.group.add(bigger);
      mesh.dispose();
      return bigger;
    };
    for (const [shape, mesh] of this.bodies) this.bodies.set(shape, grow(mesh));
    this.visors = grow(this.visors);
    this.hands = grow(this.hands);
    this.shadows = grow(this.shadows);
    this.shadows.renderOrder = 1;
  }

  /** Move every avatar to where it was shortly before server time serverNow; lay out tags. */
  update(serverNow, camera) {
    this.ensureCapacity(this.avatars.size);
    const counts = new Map(SHAPES.map((shape) => [shape, 0]));
    let visors = 0;
    let hands = 0;
    const now = performance.now();
    const wall = Date.now();
    const tagged = [];
    for (const avatar of this.avatars.values()) {
      // Shown a little in the past, so there is nearly always a newer update to move toward.
      const delayMs = shownDelay(avatar, now);
      if (!avatar.buffer.sample(serverNow - delayMs, this.pose)) continue;
      const { x, y, z, yaw } = this.pose;
      const speaking = avatar.speakingUntil > now;
      avatar.shown = {
        x, y, z, yaw, at: now, wall, speaking, hand: avatar.hand,
        received: avatar.received, delayMs,
      };
      this.quaternion.setFromAxisAngle(this.up, yaw);
      this.matrix.compose(this.point.set(x, y, z), this.quaternion, this.scale);
      const body = this.bodies.get(avatar.shape);
      const n = counts.get(avatar.shape);
      body.setMatrixAt(n, this.matrix);
      body.setColorAt(n, this.colour.set(avatar.colour));
      counts.set(avatar.shape, n + 1);
      this.shadows.setMatrixAt(visors, this.matrix);
      this.visors.setMatrixAt(visors++, this.matrix);
      if (avatar.hand) this.hands.setMatrixAt(hands++, this.matrix);

      const distance = camera.position.distanceTo(this.point);
      if (distance < TAG_DISTANCE) {
        const emoji = avatar.reaction && avatar.reaction.until > now ? avatar.reaction.emoji : "";
        this.tags.paint(avatar.id, { name: avatar.name, colour: avatar.colour, hand: avatar.hand, speaking, emoji });
        tagged.push({ key: avatar.id, x, y: y + TAG_HEIGHT, z, distance });
      }
    }
    for (const [shape, mesh] of this.bodies) {
      mesh.count = counts.get(shape);
      mesh.instanceMatrix.needsUpdate = true;
      if (mesh.instanceColor) mesh.instanceColor.needsUpdate = true;
    }
    this.visors.count = visors;
    this.visors.instanceMatrix.needsUpdate = true;
    this.shadows.count = visors;
    this.shadows.instanceMatrix.needsUpdate = true;
    this.hands.count = hands;
    this.hands.instanceMatrix.needsUpdate = true;
    tagged.sort((a, b) => a.distance - b.distance);
    this.tags.place(tagged);
  }
}

/** How far behind an avatar is drawn this frame: its buffer's delay, reached gradually.
 * The buffer's delay follows how far apart updates come and can drop by a hundred
 * milliseconds when several queued updates are read at once (a busy page); taken at once
 * that would fast-forward the avatar, a visible jump. */
function shownDelay(avatar, now) {
  const target = avatar.buffer.delayMs;
  const last = avatar.delayFrame;
  avatar.delayFrame = now;
  if (avatar.delayShown === undefined || last === undefined) {
    avatar.delayShown = target;
    return target;
  }
  const elapsed = Math.max(0, now - last);
  const delay = target < avatar.delayShown
    ? Math.max(target, avatar.delayShown - DELAY_CATCH_UP * elapsed)
    : Math.min(target, avatar.delayShown + DELAY_FALL_BACK * elapsed);
  avatar.delayShown = delay;
  return delay;
}
