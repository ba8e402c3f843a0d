/**
 * Signing in to the pages with an API key: the key (scope `read`) is kept in an HttpOnly,
 * SameSite=Strict cookie, so page scripts never see it and other sites' requests do not carry it.
 * Every state-changing form also carries a CSRF token derived from the key, and a POST whose Origin
 * is another site is refused: either alone stops a forged cross-site POST.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { PrismaClient } from '../generated/prisma/client';
import { findApiKey } from '../api/api-keys';

export const SESSION_COOKIE = 'cs_session';

export type PageEnv = { Variables: { pageUser: { name: string; scopes: string[]; csrf: string } } };

/** The form token for a key: a hash, so the page never holds the key itself. */
export const csrfToken = (key: string) => createHash('sha256').update(`csrf:${key}`).digest('base64url');

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Only paths on this site: "/x" but never "//host" or a full URL. */
export const safeNext = (next: unknown) => (typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/');

export function startSession(c: Context, key: string) {
  setCookie(c, SESSION_COOKIE, key, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    secure: new URL(c.req.url).protocol === 'https:',
    maxAge: 12 * 60 * 60,
  });
}

export function endSession(c: Context) {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

export type SignInCheck = { ok: true; name: string; scopes: string[] } | { ok: false; reason: string };

export async function checkKey(prisma: PrismaClient, key: string): Promise<SignInCheck> {
  const found = key ? await findApiKey(prisma, key) : null;
  if (!found) return { ok: false, reason: 'That is not a key this engine knows.' };
  if (found.revoked) return { ok: false, reason: `The key "${found.name}" was revoked.` };
  if (!found.scopes.includes('read')) return { ok: false, reason: `The key "${found.name}" lacks the read scope.` };
  return { ok: true, name: found.name, scopes: found.scopes };
}

/** Pages need a signed-in key with `read`; without one the browser is sent to the sign-in page. */
export function requireSession(prisma: PrismaClient): MiddlewareHandler<PageEnv> {
  return async (c, next) => {
    const key = getCookie(c, SESSION_COOKIE);
    const check = key ? await checkKey(prisma, key) : undefined;
    if (!key || !check?.ok) {
      if (key) endSession(c);
      if (c.req.method !== 'GET') return c.text('Sign in first.', 401);
      return c.redirect(`/sign-in?next=${encodeURIComponent(c.req.path + (new URL(c.req.url).search || ''))}`, 303);
    }
    c.set('pageUser', { name: check.name, scopes: check.scopes, csrf: csrfToken(key) });
    return next();
  };
}

/**
 * A POST must come from this site (Origin, or Sec-Fetch-Site when a browser sends no Origin) and
 * carry the form token. Answers 403 otherwise, before anything changes.
 */
export function requireCsrf(): MiddlewareHandler<PageEnv> {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    const here = new URL(c.req.url).origin;
    if ((origin && origin !== here) || (site && site !== 'same-origin' && site !== 'none')) {
      return c.text('Refused: this form was not sent from this site.', 403);
    }
    const form = await c.req.parseBody();
    const token = typeof form.csrf === 'string' ? form.csrf : '';
    const key = getCookie(c, SESSION_COOKIE) ?? '';
    if (!key || !token || !sameToken(token, csrfToken(key))) return c.text('Refused: the form token is missing or wrong; reload the page.', 403);
    return next();
  };
}
