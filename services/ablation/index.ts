// The ablation sweep's cpu activities.
export { ablationPlan, writeAblationTable } from './activities';
