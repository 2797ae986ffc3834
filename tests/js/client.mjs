// Obtains credentials from rolesanywhere-helper serve the way an application using the AWS SDK
// for JavaScript v3 does, and prints the access key id (never the secret) as JSON.
//   node client.mjs imds        AWS_EC2_METADATA_SERVICE_ENDPOINT (IMDSv2)
//   node client.mjs container   AWS_CONTAINER_CREDENTIALS_FULL_URI + ..._AUTHORIZATION_TOKEN(_FILE)
//   node client.mjs http        the same variables through fromHttp (the default chain's provider)
import {
  fromContainerMetadata,
  fromHttp,
  fromInstanceMetadata,
} from "@aws-sdk/credential-providers";

const providers = {
  imds: () => fromInstanceMetadata({ timeout: 2000, maxRetries: 0 }),
  container: () => fromContainerMetadata({ timeout: 2000, maxRetries: 0 }),
  http: () => fromHttp({}),
};

const mode = process.argv[2];
if (!providers[mode]) {
  console.error(`usage: node client.mjs ${Object.keys(providers).join("|")}`);
  process.exit(2);
}
try {
  const credentials = await providers[mode]()();
  const complete = Boolean(
    credentials.accessKeyId && credentials.secretAccessKey && credentials.sessionToken &&
      credentials.expiration instanceof Date && !Number.isNaN(credentials.expiration.getTime()),
  );
  console.log(JSON.stringify({ accessKeyId: credentials.accessKeyId, complete }));
} catch (error) {
  console.error(`${mode}: ${error.name}: ${error.message}`);
  process.exit(1);
}
