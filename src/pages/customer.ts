/**
 * A customer's page (`/customers/{id}`): stage and how long, SLA, the exit checklist; health with
 * each dimension's and input's contribution and what each input's value is; the score's history;
 * the timeline with causes (paged); plays running (current step) and finished (outcome); open
 * tasks, completable here; the success plan; and the way to the customer's workflow in the
 * Temporal UI. Live state comes from the workflow (its customer view), history from the database.
 */
import type { Client } from '@temporalio/client';
import { html } from 'hono/html';
import { describeInput, healthReasons } from '../domain/health-reasons';
import { customerWorkflowId } from '../domain/ids';
import { ZCustomerView } from '../domain/customer-view-schema';
import type { TSuccessPlan } from '../domain/success-plan';
import type { PrismaClient } from '../generated/prisma/client';
import { stakeholdersLeft } from '../metrics/portfolio-views';
import { getPlayProgressQuery, getStateQuery } from '../../workflows/messages';
import { renderChart } from './charts';
import { formatMoney, formatNumber, formatPercent } from './format';
import { bandBadge, day, page, svg, type Html } from './layout';
import { taskRows } from './tasks';

export const TIMELINE_PAGE = 25;
/** Met or not, in characters every font has (emoji need a font a server's browser may lack). */
const check = (met: boolean) => html`<span class="${met ? 'met' : 'open'}">${met ? '✓' : '○'}</span>`;
/** How long the page waits for a running play to say its current step. */
const PLAY_QUERY_TIMEOUT_MS = 2_000;

export interface CustomerPageDeps {
  prisma: PrismaClient;
  client: Client;
  temporalUiUrl?: string;
  namespace: string;
}

const withTimeout = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref())]).catch(() => undefined);

export async function customerPage(
  deps: CustomerPageDeps,
  customerId: string,
  timelinePage: number,
  csrf: string,
  canComplete: boolean,
): Promise<Html | undefined> {
  const { prisma, client } = deps;
  const row = await prisma.customer.findUnique({ where: { id: customerId } });
  if (!row) return undefined;
  const workflowId = customerWorkflowId(customerId);
  const since = new Date(Date.now() - 365 * 86_400_000);
  const [state, history, timeline, timelineCount, runs, tasks, plan, left] = await Promise.all([
    client.workflow
      .getHandle(workflowId)
      .query(getStateQuery)
      // A worker on other code (a deploy) answers another shape: shown as not answering, not misread.
      .then((answer) => ZCustomerView.safeParse(answer).data)
      .catch(() => undefined),
    prisma.healthSnapshot.findMany({
      where: { customerId, computedAt: { gte: since } },
      orderBy: { computedAt: 'desc' },
      select: { computedAt: true, score: true, band: true },
      take: 500,
    }),
    prisma.timelineEntry.findMany({
      where: { customerId },
      orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
      skip: timelinePage * TIMELINE_PAGE,
      take: TIMELINE_PAGE,
    }),
    prisma.timelineEntry.count({ where: { customerId } }),
    prisma.playRun.findMany({ where: { customerId }, orderBy: { startedAt: 'desc' }, take: 50 }),
    prisma.csmTask.findMany({ where: { customerId, status: 'open' }, orderBy: [{ dueAt: 'asc' }], take: 100 }),
    prisma.successPlan.findUnique({ where: { customerId } }),
    stakeholdersLeft(prisma, [customerId]),
  ]);
  const running = runs.filter((r) => r.status === 'running');
  const progress = await Promise.all(running.map((r) => withTimeout(client.workflow.getHandle(r.id).query(getPlayProgressQuery), PLAY_QUERY_TIMEOUT_MS)));
  const health = state?.health ?? null;
  const facts = { stakeholdersLeft: left.get(customerId) ?? [], payment: state?.customer.payment };
  const reasons = healthReasons(health, facts);
  const inStageDays = state?.daysInStage ?? null;

  const inputs = (health?.dimensions ?? []).flatMap((d) => d.inputs.map((i) => ({ ...i, dimension: d.label })));
  const contributionChart = health
    ? renderChart(
        {
          legend: { top: 0 },
          tooltip: {},
          grid: { left: 170, right: 20, top: 30, bottom: 20 },
          yAxis: { type: 'category', data: inputs.map((i) => `${i.dimension}: ${i.metric}`).reverse(), axisLabel: { fontSize: 10 } },
          xAxis: { type: 'value', name: 'points' },
          series: [
            { name: 'points earned', type: 'bar', stack: 'p', itemStyle: { color: '#2e9d5b' }, data: inputs.map((i) => i.points).reverse() },
            {
              name: 'points lost',
              type: 'bar',
              stack: 'p',
              itemStyle: { color: '#e9b3b3' },
              data: inputs.map((i) => (i.score === null ? 0 : Math.round((100 - i.score) * i.effectiveWeight * 10) / 10)).reverse(),
            },
          ],
        },
        620,
        Math.max(200, inputs.length * 20 + 60),
      )
    : '';
  const points = [...history].reverse().filter((h) => h.score !== null);
  const historyChart = renderChart(
    {
      grid: { left: 40, right: 20, top: 20, bottom: 30 },
      xAxis: { type: 'time', axisLabel: { hideOverlap: true, formatter: '{MM}-{dd}' } },
      yAxis: { type: 'value', min: 0, max: 100 },
      series: [{ type: 'line', showSymbol: points.length < 30, data: points.map((h) => [h.computedAt.getTime(), h.score]), lineStyle: { color: '#2d5bd3' } }],
    },
    620,
    220,
  );
  const doc = plan?.document as TSuccessPlan | undefined;
  const temporalLink = deps.temporalUiUrl
    ? `${deps.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(workflowId)}`
    : undefined;
  const pages = Math.max(1, Math.ceil(timelineCount / TIMELINE_PAGE));

  const body = html`
    <h1>${row.name} ${bandBadge(row.healthBand)}</h1>
    <p class="muted">
      ${row.segment ?? '—'} · CSM ${row.csmOwner ?? '—'} · ARR ${formatMoney(Number(row.arr))} · renewal ${day(row.contractEnd)}
      ${row.contractStatus === 'churned' ? html`· <strong>churned</strong>` : ''}
      ${temporalLink ? html` · <a href="${temporalLink}" id="temporal-link">workflow in the Temporal UI</a>` : html` · workflow <code>${workflowId}</code>`}
    </p>
    ${state ? '' : html`<p class="error">The customer's workflow did not answer; live stage and health are not shown.</p>`}
    <div class="grid">
      <section class="card" id="stage">
        <h2>Stage</h2>
        ${
          state
            ? html`<p>
                  <strong>${state.stage}</strong> for ${inStageDays} days (since ${day(state.stageEnteredAt)}) · SLA
                  <strong class="${state.sla === 'on_track' ? '' : 'overdue'}">${state.sla.replace('_', ' ')}</strong>
                </p>
                <h2>To leave ${state.stage}</h2>
                <ul class="checklist" id="exit-checklist">
                  ${state.exit.required.map((a) => html`<li>${check(a.met)} ${a.label}</li>`)}
                  ${
                    state.exit.optional.length
                      ? html`<li class="muted small">${state.exit.minOptional > 0 ? `and ${state.exit.minOptional} of these:` : 'optional:'}</li>
                          ${state.exit.optional.map((a) => html`<li>${check(a.met)} ${a.label}</li>`)}`
                      : ''
                  }
                </ul>`
            : html`<p>${row.stage}</p>`
        }
      </section>
      <section class="card" id="health">
        <h2>
          Health
          ${health?.score != null ? html`${health.score} ${bandBadge(health.band)} <span class="muted small">trend ${health.trend}</span>` : html`<span class="muted">no data yet</span>`}
        </h2>
        ${
          reasons.length
            ? html`<ul class="reasons" id="reasons">
                ${reasons.map((r) => html`<li data-metric="${r.metric}">${r.text}</li>`)}
              </ul>`
            : ''
        }
        <div class="chart" id="contributions">${svg(contributionChart)}</div>
      </section>
    </div>
    ${
      health
        ? html`<section class="card" style="margin-top:16px">
            <h2>Every input <span class="muted small">model ${health.model}, definition ${health.definitionVersion}</span></h2>
            <table id="inputs">
              <tr>
                <th>Dimension</th>
                <th>Input</th>
                <th>Value</th>
                <th class="num">Score (0-100)</th>
                <th class="num">Weight</th>
                <th class="num">Points</th>
              </tr>
              ${health.dimensions.map((d) =>
                d.inputs.map(
                  (i, k) =>
                    html`<tr data-metric="${i.metric}">
                      <td>${k === 0 ? html`<strong>${d.label}</strong> ${formatNumber(d.score)}` : ''}</td>
                      <td>${i.metric}</td>
                      <td>${i.value === null ? html`<span class="muted">unknown</span>` : describeInput(i.metric, i.value, facts)}</td>
                      <td class="num">${formatNumber(i.score)}</td>
                      <td class="num">${formatPercent(i.effectiveWeight)}</td>
                      <td class="num">${formatNumber(i.points)}</td>
                    </tr>`,
                ),
              )}
            </table>
          </section>`
        : ''
    }
    <div class="grid" style="margin-top:16px">
      <section class="card">
        <h2>Score history</h2>
        <div class="chart" id="score-history">${svg(historyChart)}</div>
      </section>
      <section class="card" id="plays">
        <h2>Plays</h2>
        <table>
          <tr>
            <th>Play</th>
            <th>Why</th>
            <th>Started</th>
            <th>Now</th>
          </tr>
          ${runs.map((r) => {
            const at = running.indexOf(r);
            const p = at >= 0 ? progress[at] : undefined;
            return html`<tr data-play="${r.playId}" data-status="${r.status}">
              <td>${r.playLabel}</td>
              <td class="small">${r.why}</td>
              <td>${day(r.startedAt)}</td>
              <td>
                ${
                  r.status === 'running'
                    ? html`<strong>running</strong>${p?.current ? html`: step <em>${p.current}</em>` : ''}
                        ${p?.steps.length ? html`<span class="muted small">(${p.steps.length} done)</span>` : ''}`
                    : html`${r.status} <span class="muted small">${day(r.endedAt)}</span>`
                }
              </td>
            </tr>`;
          })}
        </table>
      </section>
    </div>
    <section class="card" id="tasks" style="margin-top:16px">
        <h2>Open tasks</h2>
        ${taskRows(tasks, { csrf, canComplete, back: `/customers/${encodeURIComponent(customerId)}`, showCustomer: false, plays: new Map(runs.map((r) => [r.id, r.playLabel])) })}
    </section>
    <section class="card" id="success-plan" style="margin-top:16px">
        <h2>Success plan ${plan ? html`<span class="muted small">version ${plan.version}, ${day(plan.updatedAt)} by ${plan.updatedBy}</span>` : ''}</h2>
        ${
          doc
            ? html`<ul>
                  ${doc.objectives.map((o) => html`<li>${o.title} <span class="muted small">${o.status.replace('_', ' ')}${o.due ? `, due ${day(o.due)}` : ''}</span></li>`)}
                </ul>
                <p class="small">
                  Milestones: ${doc.milestones.map((m) => `${m.reachedAt ? '✓' : '○'} ${m.name.replace(/_/g, ' ')}`).join(' · ') || '—'}<br />
                  Next review: ${day(doc.cadence.nextReviewAt)} ·
                  <a href="/v1/shared/success-plans/${plan!.shareToken}">the customer's page</a>
                </p>`
            : html`<p class="muted">No plan yet.</p>`
        }
      </section>
    </div>
    <section class="card" style="margin-top:16px" id="timeline">
      <h2>Timeline <span class="muted small">${timelineCount} entries, newest first</span></h2>
      <table>
        <tr>
          <th>When</th>
          <th>What</th>
          <th>Summary</th>
          <th>Cause</th>
          <th>Definition</th>
        </tr>
        ${timeline.map(
          (e) =>
            html`<tr>
              <td class="small">${e.occurredAt.toISOString().slice(0, 16).replace('T', ' ')}</td>
              <td>${e.kind}</td>
              <td>${e.summary}</td>
              <td class="small">${e.causeType ?? ''}${e.causeId ? html`: <code>${e.causeId}</code>` : ''}</td>
              <td class="small muted">${e.definitionVersion ?? ''}</td>
            </tr>`,
        )}
      </table>
      <div class="pager">
        ${timelinePage > 0 ? html`<a href="?page=${timelinePage - 1}#timeline">newer</a>` : ''}
        <span class="muted small">page ${timelinePage + 1} of ${pages}</span>
        ${timelinePage + 1 < pages ? html`<a href="?page=${timelinePage + 1}#timeline" id="older">older</a>` : ''}
      </div>
    </section>
  `;
  return page(row.name, body, { csrf });
}
