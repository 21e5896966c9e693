// The CRI tests' and bench's pod sandbox image: dist/pause/tsrun-pause
// (src/pause/pause.c) as /pause in an OCI image layout tar, for `ctr image import`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOP } from '../helpers.js';

export const PAUSE = join(TOP, 'dist/pause/tsrun-pause');
export const PAUSE_IMAGE = 'docker.io/library/tsrun-pause:latest';

/** An OCI image layout tar holding the pause binary as /pause, for `ctr image import`. */
export function pauseImage(dir: string): string {
  const work = join(dir, 'pause-image');
  mkdirSync(join(work, 'rootfs'), { recursive: true });
  copyFileSync(PAUSE, join(work, 'rootfs/pause'));
  chmodSync(join(work, 'rootfs/pause'), 0o755);
  const layer = join(work, 'layer.tar');
  execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', join(work, 'rootfs'), '-cf', layer, 'pause']);
  const oci = join(work, 'oci');
  mkdirSync(join(oci, 'blobs/sha256'), { recursive: true });
  const blob = (data: Buffer) => {
    const d = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(oci, 'blobs/sha256', d), data);
    return { digest: `sha256:${d}`, size: data.length };
  };
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const l = blob(readFileSync(layer));
  const config = blob(Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', config: { Entrypoint: ['/pause'] }, rootfs: { type: 'layers', diff_ids: [l.digest] } })));
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l }],
      }),
    ),
  );
  writeFileSync(join(oci, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(oci, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'io.containerd.image.name': PAUSE_IMAGE } }],
    }),
  );
  const out = join(work, 'pause.tar');
  execFileSync('tar', ['-C', oci, '-cf', out, 'oci-layout', 'index.json', 'blobs']);
  return out;
}
