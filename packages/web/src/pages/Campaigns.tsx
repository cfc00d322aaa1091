import { PageTitle } from '../ui';

export default function Campaigns() {
  return <PageTitle>Campaigns</PageTitle>;
}
