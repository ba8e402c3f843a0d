/**
 * An example change, as an ops pull request would make it: the default lifecycle with the red
 * threshold raised from 60 to 65 (a score under 65 is red). The README's walkthrough simulates,
 * backtests, publishes and rolls it out. Export the definition as the module's default.
 */
import { DEFAULT_LIFECYCLE } from '../../domain/default-lifecycle';
import type { TLifecycleDefinition } from '../../domain/lifecycle-definition';

const stricterRed: TLifecycleDefinition = {
  ...DEFAULT_LIFECYCLE,
  version: '2026.12.2',
  healthModels: DEFAULT_LIFECYCLE.healthModels.map((model) => ({ ...model, bands: { ...model.bands, yellow: 65 } })),
};

export default stricterRed;
