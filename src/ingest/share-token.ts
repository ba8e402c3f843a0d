import { randomBytes } from 'node:crypto';

/** A success plan's share link is its own credential: 144 random bits, URL-safe. */
export function newShareToken(): string {
  return randomBytes(18).toString('base64url');
}
