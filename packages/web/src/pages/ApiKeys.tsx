import { PageTitle } from '../ui';

export default function ApiKeys() {
  return <PageTitle>ApiKeys</PageTitle>;
}
