# Prints, as a JSON list, the value of every field named `image` in every document of the YAML file
# argv[1], as PyYAML (an independent YAML parser) reads it.
import json, sys, yaml

def images(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image":
                yield value
            yield from images(value)
    elif isinstance(node, list):
        for value in node:
            yield from images(value)

print(json.dumps([image for document in yaml.safe_load_all(open(sys.argv[1])) for image in images(document)]))
