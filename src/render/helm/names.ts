// The names dify-deploy gives its Helm release: a leaf every Helm renderer reads (values,
// extra manifests, backups, runbook) without importing one another.

/** The release name and namespace the runbook's `helm upgrade --install` uses. */
export const HELM_RELEASE_NAME = 'dify';
export const HELM_NAMESPACE = 'dify';

/** dify.selectorLabels for a release named HELM_RELEASE_NAME. */
export const selectorLabels = { 'app.kubernetes.io/name': 'dify', 'app.kubernetes.io/instance': HELM_RELEASE_NAME };

/** The in-cluster pooler's Service: every Dify container's DB_HOST names it. */
export const pgbouncerServiceName = () => `${HELM_RELEASE_NAME}-pgbouncer`;
