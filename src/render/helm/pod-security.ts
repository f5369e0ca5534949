// The restrictive pod settings of the manifests dify-deploy adds beside the chart (helm/extra/):
// no service-account token (none of them calls the Kubernetes API), a fixed non-root user, no
// privilege escalation, no capabilities, the runtime's default seccomp profile, and a read-only
// root filesystem with a writable /tmp (PgBouncer writes its auth file there, Python its temp files).

/** The non-root user each image we run beside the chart starts as. */
export const IMAGE_USERS = {
  // dify-helm values.yaml api/worker containerSecurityContext.runAsUser (the api image's dify user).
  api: 1001,
  // docker-library postgres alpine: `adduser -u 70 -S -D -G postgres postgres`; edoburu/pgbouncer runs as that user.
  postgresAlpine: 70,
  // docker-library postgres (Debian): `useradd -r -g postgres --uid=999`; mysql: `useradd --system --uid 999 mysql`.
  postgresDebian: 999,
  mysql: 999,
} as const;

/** Pod-level settings; fsGroup makes mounted volumes (the backups PVC) writable for `uid`. */
export function restrictedPod(uid: number) {
  return {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } },
  };
}

export const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };

/** The writable /tmp a read-only root filesystem needs: the volume and its mount. */
export const TMP_VOLUME = { name: 'tmp', emptyDir: {} };
export const TMP_MOUNT = { name: 'tmp', mountPath: '/tmp' };
