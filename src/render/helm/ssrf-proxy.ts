// The SSRF proxy on Kubernetes. The chart's ssrfProxy is off by default, which leaves api,
// worker, plugin daemon and sandbox calling out directly; on, its squid.conf denies every
// client but localhost unless a file under /etc/squid/conf.d/ allows more (config.tpl:
// `include /etc/squid/conf.d/*.conf` just before `http_access deny all`). That file is the same
// policy compose renders (ssrfProxy.allowPrivate, then private destinations refused), in a
// ConfigMap of helm/extra/ mounted through the chart's ssrfProxy.extraVolumes.
import { stringifyYaml } from '../../io/yaml-doc.js';
import { isMap, type Values } from '../../helm/merge.js';
import { HELM_NAMESPACE, HELM_RELEASE_NAME } from './names.js';
import { squidAcls, squidPolicy } from '../ssrf-policy.js';
import type { RenderContext, RenderedFile } from '../types.js';

const POLICY_FILE = 'dify-deploy.conf';
const VOLUME = 'dify-deploy-policy';
export const ssrfPolicyConfigMap = () => `${HELM_RELEASE_NAME}-ssrf-proxy-policy`;

/** ssrfProxy values: on, with the policy file mounted where the chart's squid.conf includes it. */
export function ssrfProxyValues(defaults: Values): Values {
  const chart = defaults.ssrfProxy;
  if (!isMap(chart) || !('extraVolumes' in chart) || !('extraVolumeMounts' in chart)) return {};
  return {
    ssrfProxy: {
      enabled: true,
      extraVolumes: [{ name: VOLUME, configMap: { name: ssrfPolicyConfigMap() } }],
      // subPath keeps the image's own conf.d files; a changed policy reaches squid on a restart (docs/helm.md).
      extraVolumeMounts: [{ name: VOLUME, mountPath: `/etc/squid/conf.d/${POLICY_FILE}`, subPath: POLICY_FILE, readOnly: true }],
    },
  };
}

/** helm/extra/ssrf-proxy-policy.yaml */
export function renderSsrfProxyPolicy(ctx: RenderContext): RenderedFile {
  const policy = [
    '# Rendered by dify-deploy from ssrfProxy.allowPrivate in dify-deploy.yaml (edit it there and re-render).',
    '# Included by the chart\'s squid.conf before its final deny: Dify\'s pods may reach the internet and the',
    '# listed private destinations; every other private or loopback destination is refused.',
    squidAcls(),
    squidPolicy(ctx.spec),
    '',
  ].join('\n');
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: ssrfPolicyConfigMap(), namespace: HELM_NAMESPACE },
    data: { [POLICY_FILE]: policy },
  };
  return { path: 'helm/extra/ssrf-proxy-policy.yaml', content: stringifyYaml(configMap) };
}
