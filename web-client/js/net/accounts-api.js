/**
 * The staff's accounts API (same origin, staff token): list, create, disable, enable, a new
 * password, mark as advisor or not, remove. Errors arrive as ApiError with the server's code and sentence.
 */

import { request } from "./api.js";

const path = (username) => `/api/accounts/${encodeURIComponent(username)}`;

/** Every account: [{username, role, display_name, id, disabled, advisor}]. */
export async function listAccounts(token) {
  return (await request("GET", "/api/accounts", { token })).accounts;
}

/** A new account: {username, name, role: "facilitator"|"staff", password, advisor: bool}. */
export function createAccount(token, account) {
  return request("POST", "/api/accounts", { token, body: account });
}

export function disableAccount(token, username) {
  return request("POST", `${path(username)}/disable`, { token });
}

export function enableAccount(token, username) {
  return request("POST", `${path(username)}/enable`, { token });
}

export function resetPassword(token, username, password) {
  return request("POST", `${path(username)}/password`, { token, body: { password } });
}

/** Mark the account as advisor (it may sit consulting hours), or take the mark away. */
export function markAdvisor(token, username, advisor) {
  return request("POST", `${path(username)}/advisor`, { token, body: { advisor } });
}

export function removeAccount(token, username) {
  return request("DELETE", path(username), { token });
}
