import { PageTitle } from '../ui';

export default function Overview() {
  return <PageTitle>Overview</PageTitle>;
}
