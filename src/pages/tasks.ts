/**
 * My tasks (`/tasks`): a CSM's work queue — open tasks, overdue first, then by due date and
 * priority, each with its customer and the play that made it, completable in place (a POST form
 * with the CSRF token; the page comes back to where it was).
 */
import { html } from 'hono/html';
import type { PrismaClient } from '../generated/prisma/client';
import { day, page, type Html } from './layout';

const PRIORITY_RANK: Record<string, number> = { urgent: 0, high: 1, medium: 2, low: 3 };
export const QUEUE_LIMIT = 200;

interface TaskRow {
  id: string;
  customerId: string;
  playRunId: string | null;
  assignee: string;
  title: string;
  detail: string;
  priority: string;
  dueAt: Date;
  customer?: { name: string };
}

/** Overdue first, then soonest due, then most urgent. */
export function queueOrder<T extends Pick<TaskRow, 'dueAt' | 'priority'>>(tasks: T[], now = Date.now()): T[] {
  return [...tasks].sort(
    (a, b) =>
      Number(b.dueAt.getTime() < now) - Number(a.dueAt.getTime() < now) ||
      a.dueAt.getTime() - b.dueAt.getTime() ||
      (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9),
  );
}

export function taskRows(
  tasks: TaskRow[],
  options: { csrf: string; canComplete: boolean; back: string; showCustomer: boolean; plays: Map<string, string> },
): Html {
  if (tasks.length === 0) return html`<p class="muted" id="no-tasks">No open tasks.</p>`;
  const now = Date.now();
  return html`<table class="tasks">
    <tr>
      <th>Due</th>
      <th>Priority</th>
      <th>Task</th>
      ${options.showCustomer ? html`<th>Customer</th>` : ''}
      <th>Play</th>
      <th>Assignee</th>
      <th></th>
    </tr>
    ${queueOrder(tasks, now).map(
      (t) =>
        html`<tr data-task="${t.id}">
          <td class="${t.dueAt.getTime() < now ? 'overdue' : ''}">${day(t.dueAt)}${t.dueAt.getTime() < now ? ' overdue' : ''}</td>
          <td>${t.priority}</td>
          <td>${t.title}${t.detail ? html`<div class="muted small">${t.detail.length > 200 ? `${t.detail.slice(0, 200)}…` : t.detail}</div>` : ''}</td>
          ${options.showCustomer ? html`<td><a href="/customers/${encodeURIComponent(t.customerId)}">${t.customer?.name ?? t.customerId}</a></td>` : ''}
          <td class="small">${t.playRunId ? (options.plays.get(t.playRunId) ?? t.playRunId) : '—'}</td>
          <td class="small">${t.assignee}</td>
          <td>
            ${
              options.canComplete
                ? html`<form method="post" action="/tasks/${t.id}/complete" class="inline">
                    <input type="hidden" name="csrf" value="${options.csrf}" /><input type="hidden" name="back" value="${options.back}" />
                    <button type="submit" class="secondary">Done</button>
                  </form>`
                : html`<span class="muted small" title="this key lacks the tasks:write scope">read-only</span>`
            }
          </td>
        </tr>`,
    )}
  </table>`;
}

export async function tasksPage(prisma: PrismaClient, assignee: string | undefined, csrf: string, canComplete: boolean, notice?: string): Promise<Html> {
  const where = { status: 'open', ...(assignee ? { assignee } : {}) };
  const [tasks, total, assignees] = await Promise.all([
    prisma.csmTask.findMany({ where, orderBy: [{ dueAt: 'asc' }], take: QUEUE_LIMIT, include: { customer: { select: { name: true } } } }),
    prisma.csmTask.count({ where }),
    prisma.csmTask.groupBy({ by: ['assignee'], where: { status: 'open' }, orderBy: { assignee: 'asc' }, take: 500 }),
  ]);
  const runIds = [...new Set(tasks.flatMap((t) => (t.playRunId ? [t.playRunId] : [])))];
  const runs = runIds.length ? await prisma.playRun.findMany({ where: { id: { in: runIds } }, select: { id: true, playLabel: true } }) : [];
  const back = `/tasks${assignee ? `?assignee=${encodeURIComponent(assignee)}` : ''}`;
  const body = html`
    <h1>My tasks</h1>
    ${notice ? html`<p class="notice" id="notice">${notice}</p>` : ''}
    <form method="get" action="/tasks" class="filters">
      <label
        >Assignee
        <select name="assignee">
          <option value="">everyone</option>
          ${assignees.map((a) => html`<option value="${a.assignee}" ${a.assignee === assignee ? 'selected' : ''}>${a.assignee}</option>`)}
        </select></label
      >
      <button type="submit">Show</button>
    </form>
    <p class="muted small">
      ${total} open${total > tasks.length ? `, the ${tasks.length} due soonest shown` : ''}; overdue first, then by due date and priority.
    </p>
    <section class="card">${taskRows(tasks, { csrf, canComplete, back, showCustomer: true, plays: new Map(runs.map((r) => [r.id, r.playLabel])) })}</section>
  `;
  return page('My tasks', body, { csrf, active: '/tasks' });
}
