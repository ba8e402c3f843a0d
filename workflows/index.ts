/** Every workflow the worker registers. Workflow type names are written into histories: keep them. */
export { customerLifecycleWorkflow } from './customer-lifecycle';
export { playRunWorkflow } from './play-run';
export { maintenanceWorkflow } from './maintenance';
