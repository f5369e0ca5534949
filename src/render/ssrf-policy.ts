// The SSRF proxy's access policy, shared by both targets: compose renders the whole squid.conf
// around it; on Helm the chart's own squid.conf includes it from /etc/squid/conf.d/ (config.tpl),
// just before its final `http_access deny all`.
import type { Spec } from '../core/spec.js';
import { renderTemplate } from './template.js';

/** Who the clients are (Dify's own containers) and which destinations are private. */
export const squidAcls = (): string => renderTemplate('ssrf_proxy/squid-acls.hbs', {}).trimEnd();

/** The allowlist of ssrfProxy.allowPrivate, then: private destinations refused, Dify's clients allowed. */
export function squidPolicy(spec: Spec): string {
  const { domains, networks, ports } = spec.ssrfProxy.allowPrivate;
  const allow = { domains: domains.join(' '), networks: networks.join(' '), ports: ports.join(' ') };
  return renderTemplate('ssrf_proxy/squid-policy.hbs', { allow }).trimEnd();
}
