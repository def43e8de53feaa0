"""An image in the shared ECR repository, as a CI pipeline pushes one (a manifest; the emulator keeps no layers)."""

import json


def push_image(aws, tag, repository="payment-api", region="us-east-1"):
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7023,
            "digest": "sha256:" + tag.encode().hex().ljust(64, "0")[:64],
        },
        "layers": [],
    }
    aws("ecr", region).put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)
