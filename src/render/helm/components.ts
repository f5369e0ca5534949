// Plan component → dify-helm values key and pod label: one column of src/dify/components.ts.
export { CHART_COMPONENTS } from '../../dify/components.js';
