import { PageTitle } from '../ui';

export default function Webhooks() {
  return <PageTitle>Webhooks</PageTitle>;
}
