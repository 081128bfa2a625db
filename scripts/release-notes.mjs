#!/usr/bin/env node
// The notes of a GitHub release (the release workflow's last job): the image by digest,
// the `images:` entry that pins k8s/overlays/production to it, and the commands that
// verify the signature and deploy it. A tag can be moved to another image; a digest
// names exactly the bytes that were tested, signed and described by the SBOM.
//
//   node scripts/release-notes.mjs --image ghcr.io/OWNER/kv-server --digest sha256:... \
//     --tag v1.2.3 --signer https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/v1.2.3
import { parseArgs } from 'node:util';

const USAGE =
  'usage: node scripts/release-notes.mjs --image REGISTRY/NAME --digest sha256:HEX --tag vX.Y.Z --signer WORKFLOW_URL@REF';
const CHECKS = {
  image: [
    /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/,
    'a lower-case image name without tag or digest, e.g. ghcr.io/owner/kv-server',
  ],
  digest: [/^sha256:[0-9a-f]{64}$/, 'sha256: and 64 lower-case hex digits'],
  tag: [/^v\d+\.\d+\.\d+([-+][\w.-]+)?$/, 'a version tag such as v1.2.3'],
  signer: [
    /^https:\/\/\S+\/\.github\/workflows\/[\w.-]+\.ya?ml@refs\/tags\/\S+$/,
    "the signing workflow's URL and tag ref",
  ],
};

function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: Object.fromEntries(Object.keys(CHECKS).map((name) => [name, { type: 'string' }])),
    }));
  } catch (error) {
    fail(error.message);
  }
  for (const [name, [pattern, form]] of Object.entries(CHECKS)) {
    if (values[name] === undefined) fail(`--${name} is required`);
    if (!pattern.test(values[name])) fail(`--${name} ${JSON.stringify(values[name])} is not ${form}`);
  }
  process.stdout.write(notes(values));
}

function notes({ image, digest, tag, signer }) {
  const pinned = `${image}@${digest}`;
  return `## kv-server ${tag}

The image, for linux/amd64 and linux/arm64, with an SBOM and build provenance attached and signed with cosign (keyless, by this repository's release workflow):

\`\`\`
${pinned}
\`\`\`

### Deploy this release

Pin the production overlay to the digest: in \`k8s/overlays/production/kustomization.yaml\`, make \`images:\`

\`\`\`yaml
images:
  - name: kv-server
    newName: ${image}
    digest: ${digest}
\`\`\`

Then check the signature, look at what will change, apply and watch the rollout:

\`\`\`sh
cosign verify ${pinned} \\
  --certificate-identity ${signer} \\
  --certificate-oidc-issuer https://token.actions.githubusercontent.com
kubectl diff --server-side -k k8s/overlays/production
kubectl apply --server-side -k k8s/overlays/production
kubectl -n kv-server rollout status deployment/kv-server
\`\`\`

The SBOM and the provenance: \`docker buildx imagetools inspect ${pinned} --format '{{ json .SBOM }}'\` (or \`.Provenance\`).
`;
}

function fail(message) {
  process.stderr.write(`release-notes: ${message}\n${USAGE}\n`);
  process.exit(2);
}

main();
