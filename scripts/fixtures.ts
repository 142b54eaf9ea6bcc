// The tutorial's seeded world. Ids given by the tutorial are fixed; the others are fixed here so
// that `dev-ids` can print them without a running stack.
export const FIXTURES = {
  domain: { id: '019100a0-0a00-7000-8000-000000000001', slug: 'acme-corp', name: 'Acme Corp', meshCidr: '100.64.0.0/16' },
  binding: { id: '019100a0-0b00-7000-8000-000000000001', label: 'Acme Corp password sign-in', issuerHost: 'localhost' },
  operator: { id: '019100a0-0c00-7000-8000-000000000001', email: 'operator@example.com', name: 'Platform Operator' },
  admin: { id: '019100a0-0c00-7000-8000-000000000002', email: 'admin@example.com', name: 'Acme Admin' },
  devPassword: 'password',
  cloud: { id: '019100c0-0d00-7000-8000-000000000001', slug: 'demo-cloud', displayName: 'Demo Cloud', provider: 'aws' as const },
  credential: { displayName: 'demo-credential' },
  cloudlessBlueprint: {
    id: '01910051-0051-7000-8051-000000000006',
    slug: 'kubernetes-cloudless-node',
    displayName: 'Kubernetes cloudless node',
    version: 'v1alpha1',
  },
  /** The real-cloud blueprint, registered for stages other than the embedded local stack. */
  awsEc2Blueprint: {
    id: '01910051-0051-7000-8051-000000000007',
    slug: 'aws-ec2-instance',
    displayName: 'AWS EC2 instance',
    version: 'v1',
  },
} as const;
