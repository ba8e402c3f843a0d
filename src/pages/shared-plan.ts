/**
 * The page a customer sees behind their success plan's share link: objectives, milestones with
 * status, goals, the next review and who their CSM is. Read-only, the link is the credential, and
 * nothing internal (health, risks raised in the sale) is on it.
 */
import { html } from 'hono/html';
import type { TSuccessPlan } from '../domain/success-plan';
import { day, page, type Html } from './layout';
import { formatNumber } from './format';

const STATUS_WORDS: Record<string, string> = { planned: 'planned', in_progress: 'in progress', achieved: 'achieved', at_risk: 'needs attention' };

export function sharedPlanPage(shared: { customer: string; csmOwner: string | null; plan: TSuccessPlan; updatedAt: Date }): Html {
  const { plan } = shared;
  const now = Date.now();
  const milestoneStatus = (m: TSuccessPlan['milestones'][number]) =>
    m.reachedAt ? `reached ${day(m.reachedAt)}` : m.due && Date.parse(m.due) < now ? `was due ${day(m.due)}` : m.due ? `due ${day(m.due)}` : 'ahead';
  const body = html`
    <div class="portal">
      <h1>${shared.customer}: our success plan</h1>
      <p class="muted">Your customer success manager: <strong id="csm">${shared.csmOwner ?? '—'}</strong> · updated ${day(shared.updatedAt)}</p>
      <section class="card">
        <h2>Objectives</h2>
        <ul id="objectives">
          ${plan.objectives.map((o) => html`<li>${o.title} — <em>${STATUS_WORDS[o.status] ?? o.status}</em>${o.due ? `, by ${day(o.due)}` : ''}${o.owner ? `, ${o.owner}` : ''}</li>`)}
        </ul>
      </section>
      <section class="card" style="margin-top:12px">
        <h2>Milestones</h2>
        <ul class="checklist" id="milestones">
          ${plan.milestones.map((m) => html`<li><span class="${m.reachedAt ? 'met' : 'open'}">${m.reachedAt ? '✓' : '○'}</span> ${m.name.replace(/_/g, ' ')} <span class="muted small">${milestoneStatus(m)}</span></li>`)}
        </ul>
      </section>
      <section class="card" style="margin-top:12px">
        <h2>Goals</h2>
        ${
          plan.metrics.length
            ? html`<table id="goals">
                <tr>
                  <th>Goal</th>
                  <th class="num">Started at</th>
                  <th class="num">Now</th>
                  <th class="num">Target</th>
                </tr>
                ${plan.metrics.map(
                  (m) =>
                    html`<tr>
                      <td>${m.name}</td>
                      <td class="num">${formatNumber(m.baseline ?? null, 2)} ${m.unit ?? ''}</td>
                      <td class="num">${formatNumber(m.current ?? null, 2)} ${m.unit ?? ''}</td>
                      <td class="num">${formatNumber(m.target, 2)} ${m.unit ?? ''}</td>
                    </tr>`,
                )}
              </table>`
            : html`<p class="muted">No measured goals yet.</p>`
        }
      </section>
      <section class="card" style="margin-top:12px">
        <h2>Next review</h2>
        <p id="next-review">
          ${plan.cadence.nextReviewAt ? day(plan.cadence.nextReviewAt) : 'not scheduled yet'}${plan.cadence.reviewEveryDays ? html`, then every ${plan.cadence.reviewEveryDays} days` : ''}
          ${plan.cadence.attendees.length ? html`<br /><span class="muted small">with ${plan.cadence.attendees.join(', ')}</span>` : ''}
        </p>
      </section>
    </div>
  `;
  return page(`${shared.customer}: success plan`, body, { nav: false });
}

/** A browser asks for HTML first; API clients (and `?format=json`) get JSON as before. */
export function wantsHtml(accept: string | undefined, format: string | undefined): boolean {
  if (format === 'json') return false;
  if (format === 'html') return true;
  return /\btext\/html\b/.test(accept ?? '');
}
