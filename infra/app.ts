// CDK entry (cdk.json): `npx cdk deploy -c stage=<name>`; without -c, cdk.json's context says dev.
import { App } from 'aws-cdk-lib';
import { addPlexsphere, stageOf } from './plexsphere.ts';

const app = new App();
addPlexsphere(app, stageOf(app), { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION });
app.synth();
