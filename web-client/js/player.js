/**
 * The visitor's own body: position on the walkable floor, facing (yaw) and gaze (pitch),
 * moved each frame from the controls' intent or along a click-to-walk path (up and down
 * stairs too: the feet follow the floor's surfaces). The camera sits at eye height. The server has the last word: correct() puts the body where it says.
 */

import * as THREE from "three";
import { Pathfinder } from "./world/pathfinder.js";

export const EYE_HEIGHT = 1.6;
const WALK_SPEED = 2.6;
const FAST_SPEED = 4.5;
const TURN_SPEED = 2.2;
const PITCH_LIMIT = 1.35;
const ARRIVE_DISTANCE = 0.15;

export class Player {
  constructor(floor) {
    this.floor = floor;
    this.pathfinders = new Map();
    this.position = new THREE.Vector3();
    this.yaw = 0;
    this.pitch = 0;
    this.path = null;
    this.goal = null;
    this.replans = 0;
    this.walkEnd = null;
    this.reducedMotion = false;
    this.movedAt = 0;
  }

  /** Stand at (x, y, z) facing yaw, dropping any walk in progress. */
  placeAt(x, y, z, yaw = this.yaw) {
    const floorY = this.floor.heightAt(x, z, y);
    this.position.set(x, floorY ?? y, z);
    this.yaw = yaw;
    this.path = null;
  }

  /** The server moved us (a correction or a jump): take its word. */
  correct(x, y, z, yaw) {
    if (this.path) this.walkEnd = "corrected";
    this.placeAt(x, y, z, yaw ?? this.yaw);
  }

  /**
   * Walk to (x, z) around walls: on the surface nearest y (a clicked point's height, up or
   * down the stairs if it is on another storey), on this storey without y. Returns false when
   * there is no way there.
   */
  walkTo(x, z, y = null) {
    if (!this.pathfinders.has("floor")) this.pathfinders.set("floor", new Pathfinder(this.floor));
    const { x: x0, y: y0, z: z0 } = this.position;
    const path = this.pathfinders.get("floor").find(x0, y0, z0, x, z, y);
    this.path = path && path.length > 0 ? path : null;
    this.goal = { x, y, z };
    this.replans = 0;
    // Why the last walk ended: "arrived", "blocked", "no path", "corrected" or "keys".
    this.walkEnd = this.path ? null : "no path";
    return this.path !== null;
  }

  get walking() {
    return this.path !== null;
  }

  /** Advance by dt seconds with this frame's intent; returns whether the pose changed. */
  update(dt, intent) {
    const before = [this.position.x, this.position.y, this.position.z, this.yaw, this.pitch];
    this.yaw += intent.lookYaw + intent.turn * TURN_SPEED * dt;
    this.pitch = Math.max(-PITCH_LIMIT, Math.min(PITCH_LIMIT, this.pitch + intent.lookPitch));
    const speed = intent.fast ? FAST_SPEED : WALK_SPEED;

    if (intent.forward !== 0 || intent.strafe !== 0) {
      if (this.path) this.walkEnd = "keys";
      this.path = null;
      this.keysMovedAt = performance.now();
      const sin = Math.sin(this.yaw);
      const cos = Math.cos(this.yaw);
      const length = Math.hypot(intent.forward, intent.strafe);
      const scale = (speed * dt) / Math.max(1, length);
      const dx = (-sin * intent.forward + cos * intent.strafe) * scale;
      const dz = (-cos * intent.forward - sin * intent.strafe) * scale;
      this.floor.move(this.position, dx, dz);
    } else if (this.path) {
      this.followPath(dt, speed);
    }

    this.yaw = wrapAngle(this.yaw);
    const after = [this.position.x, this.position.y, this.position.z, this.yaw, this.pitch];
    const changed = after.some((value, i) => Math.abs(value - before[i]) > 1e-5);
    if (changed) this.movedAt = performance.now();
    return changed;
  }

  followPath(dt, speed) {
    let budget = speed * dt;
    let moved = false;
    while (this.path && budget > 0) {
      const target = this.path[0];
      const dx = target.x - this.position.x;
      const dz = target.z - this.position.z;
      const distance = Math.hypot(dx, dz);
      if (distance < ARRIVE_DISTANCE) {
        this.path.shift();
        if (this.path.length === 0) {
          this.path = null;
          this.walkEnd = "arrived";
        }
        // A frame ends at a corner of the path: the server checks the straight line
        // between two poses, and on a slow page a frame's walk past a corner would cut it.
        if (moved) break;
        continue;
      }
      const step = Math.min(budget, distance);
      const facing = Math.atan2(-dx, -dz);
      this.yaw = this.reducedMotion ? this.yaw : turnToward(this.yaw, facing, dt * 4);
      if (!this.floor.move(this.position, (dx / distance) * step, (dz / distance) * step)) {
        // Grazed an edge the plan did not see: plan again from here, a couple of times.
        const { x, y, z } = this.goal;
        const replans = this.replans;
        if (replans >= 2 || !this.walkTo(x, z, y)) {
          this.path = null;
          this.walkEnd = "blocked";
        }
        this.replans = replans + 1;
        break;
      }
      budget -= step;
      moved = true;
    }
  }

  /** Put the camera at the eyes. */
  applyToCamera(camera) {
    camera.position.set(this.position.x, this.position.y + EYE_HEIGHT, this.position.z);
    camera.rotation.set(this.pitch, this.yaw, 0, "YXZ");
  }
}

export function wrapAngle(angle) {
  return Math.atan2(Math.sin(angle), Math.cos(angle));
}

function turnToward(from, to, amount) {
  const delta = wrapAngle(to - from);
  if (Math.abs(delta) <= amount) return to;
  return from + Math.sign(delta) * amount;
}
