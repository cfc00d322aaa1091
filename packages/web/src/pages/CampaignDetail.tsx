import { PageTitle } from '../ui';

export default function CampaignDetail() {
  return <PageTitle>CampaignDetail</PageTitle>;
}
