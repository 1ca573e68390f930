/**
 * ACL and SCRAM user APIs of our Kafka schema table, from apache/kafka's
 * CreateAcls/DescribeAcls/DeleteAcls and Describe/AlterUserScramCredentials
 * message JSON files. v0 of the ACL APIs has no pattern type: it is LITERAL (3).
 */
import { array, errorFields, field as f, message, NULLABLE, resourceFields } from './schema.js'

const LITERAL = 3

export const CreateAclsRequest = message('CreateAclsRequest', 30, '0-3', '2+', [
  f('Creations', array([
    ...resourceFields(),
    f('ResourcePatternType', 'int8', '1+', { default: LITERAL }),
    f('Principal', 'string', '0+'),
    f('Host', 'string', '0+'),
    f('Operation', 'int8', '0+'),
    f('PermissionType', 'int8', '0+'),
  ]), '0+'),
])
export const CreateAclsResponse = message('CreateAclsResponse', 30, '0-3', '2+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  f('Results', array([...errorFields()]), '0+'),
])

/** The filter fields DescribeAcls has at top level and DeleteAcls per filter. */
const aclFilter = () => [
  f('ResourceTypeFilter', 'int8', '0+'),
  f('ResourceNameFilter', 'string', '0+', NULLABLE),
  f('PatternTypeFilter', 'int8', '1+', { default: LITERAL }),
  f('PrincipalFilter', 'string', '0+', NULLABLE),
  f('HostFilter', 'string', '0+', NULLABLE),
  f('Operation', 'int8', '0+'),
  f('PermissionType', 'int8', '0+'),
]

export const DescribeAclsRequest = message('DescribeAclsRequest', 29, '0-3', '2+', aclFilter())
export const DescribeAclsResponse = message('DescribeAclsResponse', 29, '0-3', '2+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  ...errorFields(),
  f('Resources', array([
    ...resourceFields(),
    f('PatternType', 'int8', '1+', { default: LITERAL }),
    f('Acls', array([f('Principal', 'string', '0+'), f('Host', 'string', '0+'), f('Operation', 'int8', '0+'), f('PermissionType', 'int8', '0+')]), '0+'),
  ]), '0+'),
])

export const DeleteAclsRequest = message('DeleteAclsRequest', 31, '0-3', '2+', [f('Filters', array(aclFilter()), '0+')])
export const DeleteAclsResponse = message('DeleteAclsResponse', 31, '0-3', '2+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  f('FilterResults', array([
    ...errorFields(),
    f('MatchingAcls', array([
      ...errorFields(),
      ...resourceFields(),
      f('PatternType', 'int8', '1+', { default: LITERAL }),
      f('Principal', 'string', '0+'),
      f('Host', 'string', '0+'),
      f('Operation', 'int8', '0+'),
      f('PermissionType', 'int8', '0+'),
    ]), '0+'),
  ]), '0+'),
])

export const DescribeUserScramCredentialsRequest = message('DescribeUserScramCredentialsRequest', 50, '0', '0+', [
  f('Users', array([f('Name', 'string', '0+')]), '0+', NULLABLE),
])
export const DescribeUserScramCredentialsResponse = message('DescribeUserScramCredentialsResponse', 50, '0', '0+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  ...errorFields(),
  f('Results', array([
    f('User', 'string', '0+'),
    ...errorFields(),
    f('CredentialInfos', array([f('Mechanism', 'int8', '0+'), f('Iterations', 'int32', '0+')]), '0+'),
  ]), '0+'),
])

export const AlterUserScramCredentialsRequest = message('AlterUserScramCredentialsRequest', 51, '0', '0+', [
  f('Deletions', array([f('Name', 'string', '0+'), f('Mechanism', 'int8', '0+')]), '0+'),
  f('Upsertions', array([
    f('Name', 'string', '0+'),
    f('Mechanism', 'int8', '0+'),
    f('Iterations', 'int32', '0+'),
    f('Salt', 'bytes', '0+'),
    f('SaltedPassword', 'bytes', '0+'),
  ]), '0+'),
])
export const AlterUserScramCredentialsResponse = message('AlterUserScramCredentialsResponse', 51, '0', '0+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  f('Results', array([f('User', 'string', '0+'), ...errorFields()]), '0+'),
])
