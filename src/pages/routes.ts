/**
 * The pages served beside the API by the same process: sign-in and sign-out, the portfolio, a
 * customer, the task queue and the stylesheet. Behind the same API keys (a `read` key in a cookie);
 * completing a task needs `tasks:write` and the CSRF checks of session.ts.
 */
import type { Client } from '@temporalio/client';
import { Hono, type Handler } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import { ZCustomerId } from '../domain/customer-events';
import { boundedText, LIMITS } from '../domain/bounds';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import type { PrismaClient } from '../generated/prisma/client';
import { customerPage } from './customer';
import { page, STYLESHEET, STYLESHEET_PATH } from './layout';
import { portfolioPage } from './portfolio';
import { checkKey, endSession, requireCsrf, requireSession, safeNext, startSession, type PageEnv } from './session';
import { tasksPage } from './tasks';

export interface PagesDeps {
  prisma: PrismaClient;
  client: Client;
  definition: TLifecycleDefinition;
  /** The Temporal Web UI's address, for the link to each customer's workflow; no link when unset. */
  temporalUiUrl?: string;
  namespace?: string;
}

const ZFilter = z.object({
  segment: boundedText(LIMITS.name).optional().catch(undefined),
  csm: boundedText(LIMITS.name).optional().catch(undefined),
  stage: boundedText(LIMITS.name).optional().catch(undefined),
  band: boundedText(LIMITS.name).optional().catch(undefined),
});
const blank = (v: string | undefined) => (v ? v : undefined);

function signInPage(next: string, error?: string) {
  return page(
    'Sign in',
    html`<div class="signin card">
      <h1>Sign in</h1>
      <p class="muted">
        With an API key that has the <code>read</code> scope (<code>npm run cli -- api-key create &lt;name&gt;</code>, or the local key
        <code>npm start</code> printed).
      </p>
      ${error ? html`<p class="error" id="sign-in-error">${error}</p>` : ''}
      <form method="post" action="/sign-in">
        <input type="hidden" name="next" value="${next}" />
        <input type="password" name="key" placeholder="csk_…" autocomplete="current-password" aria-label="API key" required />
        <button type="submit">Sign in</button>
      </form>
    </div>`,
    { nav: false },
  );
}

export function createPages(deps: PagesDeps): Hono<PageEnv> {
  const { prisma, definition } = deps;
  const pages = new Hono<PageEnv>();

  pages.get(STYLESHEET_PATH, (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.body(STYLESHEET, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });

  // Browsers ask for it on pages without a <link rel=icon> (a plain-text refusal): no icon, no 404.
  pages.get('/favicon.ico', (c) => c.body(null, 204));
  pages.get('/sign-in', (c) => c.html(signInPage(safeNext(c.req.query('next')))));
  pages.post('/sign-in', async (c) => {
    // A sign-in from another site would plant the attacker's key: refused like any cross-site POST.
    const origin = c.req.header('origin');
    if (origin && origin !== new URL(c.req.url).origin) return c.text('Refused: this form was not sent from this site.', 403);
    const form = await c.req.parseBody();
    const key = typeof form.key === 'string' ? form.key.trim().slice(0, 200) : '';
    const next = safeNext(form.next);
    const check = await checkKey(prisma, key);
    // The form again with the reason (200: a browser logs a 401 page as a console error).
    if (!check.ok) return c.html(signInPage(next, check.reason));
    startSession(c, key);
    return c.redirect(next, 303);
  });

  // Per route, not `use('*')`: these pages share the process (and the path space) with the API.
  const session = requireSession(prisma);
  const csrf = requireCsrf();
  const signedIn = {
    get: (path: string, handler: Handler<PageEnv>) => pages.get(path, session, handler),
    post: (path: string, handler: Handler<PageEnv>) => pages.post(path, session, csrf, handler),
  };

  signedIn.post('/sign-out', (c) => {
    endSession(c);
    return c.redirect('/sign-in', 303);
  });

  signedIn.get('/', async (c) => {
    const q = ZFilter.parse(c.req.query());
    const filter = { segment: blank(q.segment), csmOwner: blank(q.csm), stage: blank(q.stage), band: blank(q.band) };
    return c.html(await portfolioPage(prisma, definition, filter, c.get('pageUser').csrf));
  });

  signedIn.get('/customers/:customerId', async (c) => {
    const id = ZCustomerId.safeParse(c.req.param('customerId'));
    const pageNo = Math.min(10_000, Math.max(0, Number.parseInt(c.req.query('page') ?? '0', 10) || 0));
    const user = c.get('pageUser');
    const body = id.success
      ? await customerPage({ ...deps, namespace: deps.namespace ?? 'default' }, id.data, pageNo, user.csrf, user.scopes.includes('tasks:write'))
      : undefined;
    if (!body)
      return c.html(
        page(
          'Unknown customer',
          html`<h1>Unknown customer</h1>
            <p><a href="/">Back to the portfolio</a></p>`,
          { csrf: user.csrf },
        ),
        404,
      );
    return c.html(body);
  });

  signedIn.get('/tasks', async (c) => {
    const assignee = boundedText(LIMITS.name)
      .optional()
      .catch(undefined)
      .parse(c.req.query('assignee') || undefined);
    const user = c.get('pageUser');
    const done = c.req.query('done');
    return c.html(await tasksPage(prisma, assignee, user.csrf, user.scopes.includes('tasks:write'), done ? 'Task marked done.' : undefined));
  });

  signedIn.post('/tasks/:taskId/complete', async (c) => {
    const user = c.get('pageUser');
    if (!user.scopes.includes('tasks:write')) return c.text(`Refused: the key "${user.name}" lacks the tasks:write scope.`, 403);
    const taskId = z.uuid().safeParse(c.req.param('taskId'));
    const task = taskId.success ? await prisma.csmTask.findUnique({ where: { id: taskId.data } }) : null;
    if (!task) return c.text('Unknown task.', 404);
    if (task.status !== 'done') {
      await prisma.csmTask.updateMany({ where: { id: task.id, status: 'open' }, data: { status: 'done', completedAt: new Date(), completedBy: user.name } });
    }
    const form = await c.req.parseBody();
    const back = safeNext(form.back);
    return c.redirect(`${back}${back.includes('?') ? '&' : '?'}done=${task.id}`, 303);
  });

  return pages;
}
