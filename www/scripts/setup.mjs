// Creates the demo keys, aliases and key policies if absent, and writes the
// page's config. Run by `cargo xtask demo` with:
//   DEMO_ENDPOINT  the kms-server endpoint
//   DEMO_DATA_DIR  its data directory (admin credentials, demo-page.json)
//   DEMO_OUT       where to write the page's demo-config.json
// Uses the admin credentials; the page gets only the demo principal's.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";

const endpoint = process.env.DEMO_ENDPOINT;
const dataDir = process.env.DEMO_DATA_DIR;
const out = process.env.DEMO_OUT;
const region = "us-east-1";
const text = readFileSync(join(dataDir, "credentials"), "utf8");
const value = (k) => new RegExp(`^${k}\\s*=\\s*(\\S+)`, "m").exec(text)[1];
const admin = new AwsClient({
  accessKeyId: value("aws_access_key_id"),
  secretAccessKey: value("aws_secret_access_key"),
  region,
  service: "kms",
});
const page = JSON.parse(readFileSync(join(dataDir, "demo-page.json"), "utf8"));

async function call(operation, body) {
  const r = await admin.fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `TrentService.${operation}` },
    body: JSON.stringify(body),
  });
  const json = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`${operation}: ${json.__type}: ${json.message}`);
  return json;
}

const account = page.principalArn.split(":")[4];
const policyFor = (actions) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
      { Sid: "The demo page", Effect: "Allow", Principal: { AWS: page.principalArn }, Action: actions, Resource: "*" },
    ],
  });

async function ensureKey(alias, createBody, actions) {
  const aliases = (await call("ListAliases", {})).Aliases;
  let keyId = aliases.find((a) => a.AliasName === alias)?.TargetKeyId;
  if (!keyId) {
    keyId = (await call("CreateKey", { ...createBody, Description: `kms-envelope demo: ${alias}` })).KeyMetadata.KeyId;
    await call("CreateAlias", { AliasName: alias, TargetKeyId: keyId });
    console.log(`created ${alias} (${keyId})`);
  }
  // The page may do exactly this with the key, by the key's policy.
  await call("PutKeyPolicy", { KeyId: keyId, PolicyName: "default", Policy: policyFor(actions) });
  return keyId;
}

await ensureKey("alias/demo", {}, ["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"]);
await ensureKey("alias/demo-signing", { KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }, [
  "kms:Sign",
  "kms:GetPublicKey",
  "kms:DescribeKey",
]);
writeFileSync(
  out,
  JSON.stringify(
    {
      endpoint,
      region,
      key: "alias/demo",
      signingKey: "alias/demo-signing",
      principal: page.principalArn,
      credentials: { accessKeyId: page.accessKeyId, secretAccessKey: page.secretAccessKey },
    },
    null,
    2,
  ),
  { mode: 0o600 },
);
