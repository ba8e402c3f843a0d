/**
 * The markdown a CS lead reads in the Temporal UI's "current details" for a customer: stage and
 * SLA, health with its weakest inputs, exit progress, renewal and the next timers. Sandbox-safe.
 */
import type { LifecycleState } from './lifecycle-state';
import type { PlannedTimer } from './timer-plan';

export function customerDetailsMarkdown(state: LifecycleState, nextTimers: PlannedTimer[]): string {
  const { facts, health } = state;
  const lines = [
    `### ${facts.name}`,
    `**Stage:** ${state.stage} since ${state.stageEnteredAt.slice(0, 10)} (${state.sla.replace('_', ' ')}) · ` +
      `**Segment:** ${state.segment} · **CSM:** ${facts.csmOwner}`,
    `**ARR:** ${facts.arr} · **Renewal:** ${facts.contractEnd.slice(0, 10)} · **Contract:** ${facts.contractStatus}`,
  ];
  if (health?.score != null) {
    const weakest = health.dimensions
      .flatMap((d) => d.inputs)
      .filter((i) => i.score !== null && i.score < 50)
      .sort((a, b) => (a.score ?? 0) - (b.score ?? 0))
      .slice(0, 3)
      .map((i) => `${i.metric} ${i.score}`);
    lines.push(
      `**Health:** ${health.score} (${health.band}, trend ${health.trend}, model ${health.model} v${health.definitionVersion})` +
        (weakest.length ? ` · weakest: ${weakest.join(', ')}` : ''),
      ...(health.conditions ?? []).map((c) => `- **Risk:** ${c.label} (${c.cap ? `caps at ${c.cap}` : `-${c.subtract} points`})`),
    );
  } else {
    lines.push('**Health:** no data yet');
  }
  const exit = [...state.exit.required.map((a) => `${a.met ? '✅' : '⬜'} ${a.label}`)];
  if (exit.length) lines.push('', `**To leave ${state.stage}:**`, ...exit.map((e) => `- ${e}`));
  if (nextTimers.length) {
    lines.push('', '**Next timers:**', ...nextTimers.map((t) => `- ${t.at.slice(0, 10)} ${t.label}`));
  }
  return lines.join('\n');
}
