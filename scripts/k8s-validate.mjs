// Validates Kubernetes objects (one JSON document per line on stdin, from
// scripts/yaml2json) against the Kubernetes API schemas that the npm package
// kubernetes-models ships (generated from Kubernetes' OpenAPI description;
// types, required fields, enums, formats). Offline. Exits 1 on the first
// invalid object, naming it and the failing field.
//
// Usage: node scripts/k8s-validate.mjs [--require Kind,...] < objects.jsonl
import { createInterface } from "node:readline";

const args = process.argv.slice(2);
const required = new Set((args[args.indexOf("--require") + 1] || "").split(",").filter(Boolean));
if (!args.includes("--require")) required.clear();

const seen = [];
let failed = false;
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const obj = JSON.parse(line);
  const { apiVersion, kind } = obj;
  const name = `${kind}/${obj.metadata?.name ?? "?"}`;
  if (!apiVersion || !kind) {
    console.error(`k8s-validate: an object without apiVersion/kind: ${line.slice(0, 120)}`);
    failed = true;
    continue;
  }
  // "apps/v1" -> kubernetes-models/apps/v1/Kind; core "v1" -> kubernetes-models/v1/Kind
  const path = `kubernetes-models/${apiVersion}/${kind}`;
  let Model;
  try {
    Model = (await import(path))[kind];
  } catch (e) {
    console.error(`k8s-validate: ${name}: no schema for ${apiVersion} ${kind} (${e.code ?? e.message})`);
    failed = true;
    continue;
  }
  try {
    new Model(obj).validate();
    seen.push(kind);
    console.log(`k8s-validate: ${apiVersion} ${name}: valid`);
  } catch (e) {
    console.error(`k8s-validate: ${apiVersion} ${name}: ${e.message}`);
    failed = true;
  }
}
for (const k of required) {
  if (!seen.includes(k)) {
    console.error(`k8s-validate: no valid ${k} in the input`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
